"""The Ray worker: loads the model once, then segments the images it is handed.

A plain class (no Ray import here); ``pool.WorkerPool`` turns it into an actor
with the GPU/CPU share it needs. Each image goes through the engine's own
``process_one``, so the files written are exactly the local engine's (names,
formats, atomic writes, no-overwrite/resume rules, per-file failures).

The actor runs two calls at a time: the segmenter's lock keeps one image on the
network while the other call decodes its image or writes its files, the same
overlap the local ``run_batch`` gets from its I/O threads.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Iterable

from app.checkpoints.meta import ProtocolSettings
from app.engine.batch import FileRecord, Job, process_one

# Test-only: "NAME|MARKER" makes the worker that gets the image named NAME exit
# abruptly (as a killed process or a lost node would) the first time, i.e. while
# MARKER does not exist yet; it creates MARKER just before dying.
CRASH_HOOK_ENV = "PSPNET_RAY_TEST_CRASH"


class SegmentWorker:
    """One model on one device; ``process`` is called once per image."""

    def __init__(self, weights: str, device: str = "auto", precision: str = "fp32",
                 threads: int | None = None, cwd: str | None = None, window_batch: int | None = None) -> None:
        import torch  # noqa: PLC0415 - workers only

        from app.checkpoints import load_checkpoint  # noqa: PLC0415
        from app.engine.segmenter import Segmenter  # noqa: PLC0415

        if cwd and Path(cwd).is_dir():
            os.chdir(cwd)  # relative inputs, --out and --weights mean what they meant to the driver
        if threads:
            torch.set_num_threads(threads)
        self.segmenter = Segmenter(load_checkpoint(weights), device, precision, window_batch=window_batch)

    def ready(self, probes: Iterable[str] = ()) -> dict[str, Any]:
        """Where this worker runs, and which of the driver's ``probes`` it cannot see
        (the inputs and the output folder must be on storage shared by every node)."""
        return {"host": socket.gethostname(), "pid": os.getpid(), "device": str(self.segmenter.device),
                "missing": [p for p in probes if not Path(p).exists()]}

    def process(self, job: Job, out_dir: str, formats: tuple[str, ...], settings: ProtocolSettings | None,
                overwrite: bool) -> FileRecord:
        _crash_if_asked(job)
        return process_one(job, self.segmenter, out_dir, formats, settings, overwrite)


def _crash_if_asked(job: Job) -> None:
    hook = os.environ.get(CRASH_HOOK_ENV, "")
    if "|" not in hook:
        return
    name, marker = hook.split("|", 1)
    if job.source.name == name and not Path(marker).exists():
        try:  # a marker that cannot be written makes the image kill every worker that tries it
            Path(marker).write_text(f"worker {os.getpid()} exited on {name}\n", encoding="utf-8")
        except OSError:
            pass
        os._exit(1)  # no cleanup, no exception: what a SIGKILL or a lost node looks like
