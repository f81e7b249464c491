"""Small helpers shared by test files in different folders."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch


def under_ci() -> bool:
    """True in a CI run (the CI variable set, as CI services and .ci/run set it): there a
    test that cannot find what CI always has fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def lively(model: torch.nn.Module, seed: int = 3) -> torch.nn.Module:
    """Random BN statistics in every layer: a random-weight net then gives varied labels."""
    g = torch.Generator().manual_seed(seed)
    for bn in model.modules():
        if isinstance(bn, torch.nn.BatchNorm2d):
            n = bn.num_features
            bn.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            bn.running_var.copy_(torch.rand(n, generator=g) * 0.1 + 0.05)
            bn.weight.data.copy_(torch.randn(n, generator=g))
            bn.bias.data.copy_(torch.randn(n, generator=g) * 0.5)
    return model


def save_tiny_weights(folder: Path) -> Path:
    """A small, varied random PSPNet saved in the project's format, with small protocols."""
    from app.checkpoints import save_native
    from app.checkpoints.meta import ProtocolSettings
    from tests.engine_fixtures import varied_loaded

    loaded = varied_loaded()
    loaded.meta.protocols = {"fast": ProtocolSettings("fast", base_size=64),
                             "official": ProtocolSettings("official", base_size=64, crop_size=33, flip=True)}
    loaded.meta.name = "tiny test model"
    return save_native(folder / "tiny.safetensors", loaded.model, loaded.meta)


@contextmanager
def folder_lock_held_elsewhere(folder: Path) -> Iterator[int]:
    """Another process holds the batch lock of ``folder`` (as a run there would) until the
    block ends; yields its pid. Killed at the end, it leaves a stale lock file behind."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from app.engine.ledger_names import LOCK_NAME  # noqa: PLC0415

    root = Path(__file__).resolve().parents[1]
    script = (f"import sys, time\nsys.path.insert(0, {str(root)!r})\n"
              "from app.engine.ledger_lock import FolderLock\n"
              f"FolderLock({str(folder)!r}, {LOCK_NAME!r}).acquire()\n"
              "print('held', flush=True)\ntime.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # the pipe, or it is left to the garbage collector (a ResourceWarning)
