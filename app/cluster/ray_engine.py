"""The driver of a Ray run: the engine's jobs spread over a pool of worker actors.

Same inputs and outputs as the local ``run_batch``: jobs come from the engine's
``plan_jobs``; the engine's ``BatchLedger`` locks the output folder, decides what
is skipped (resume), kept or run, keeps the records and writes the run files
(labelmap.txt, summary.json, summary.csv, with the same content apart from
timings); each worker runs the engine's ``process_one``.

A lost worker (killed process, lost node) loses nothing: the images it held are
handed to another worker (a replacement is started), up to ``max_attempts`` per
image, after which the image is a per-file failure with the reason. Outputs are
written atomically, so a worker killed mid-write leaves no partial file; its
temporary files are removed before the image is retried.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import ray

from app.checkpoints.meta import ModelMeta, ProtocolSettings
from app.cluster.pool import RayEngineError, Slot, WorkerPool, error_text, plan_workers
from app.cluster.recovery import recovered_record, remove_temporaries
from app.engine.ledger import BatchLedger
from app.engine.records import BatchReport, FileRecord, Job
from app.engine.writers import OUTPUT_FORMATS

# errors meaning "the worker (or its node) went away", not "this image is bad"
# (looked up by name: older Ray releases lack some of them)
WORKER_LOST = tuple(getattr(ray.exceptions, name) for name in (
    "RayActorError", "WorkerCrashedError", "NodeDiedError", "ObjectLostError", "LocalRayletDiedError")
    if hasattr(ray.exceptions, name))
MAYBE_ALIVE = getattr(ray.exceptions, "ActorUnavailableError", ())  # unreachable for now, may still write


@dataclass
class RayOptions:
    address: str | None = None  # None: start a local Ray instance (unless one is running in this process)
    workers: int | None = None  # None: one per GPU share, or one CPU worker per node
    gpus_per_worker: float | None = None  # None: 1 when the cluster has GPUs, else 0
    batch_size: int = 2  # images handed to a worker at a time
    device: str = "auto"
    precision: str = "fp32"
    window_batch: int | None = None  # windows per forward (None: the Segmenter's default for the device)
    max_attempts: int = 3  # per image, counting the tries lost with their worker
    max_replacements: int | None = None  # workers started to replace lost ones (None: 2 x workers + 2)
    start_timeout: float = 600.0  # seconds to wait for the first worker
    worker_env: dict[str, str] = field(default_factory=dict)


def connect(address: str | None) -> bool:
    """Connect to ``address`` (or ``$RAY_ADDRESS``) or start a local instance; True when
    this call started or joined Ray (and the caller shuts the connection down)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")  # Ray's own convention for "use that cluster"
    if address:
        try:  # Ray retries an address with nothing behind it for a few minutes before it gives up
            ray.init(address=address, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayEngineError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
    else:
        start_local_ray(os.cpu_count() or 1)
    return True


def start_local_ray(num_cpus: int) -> None:
    """A Ray instance on this machine. Its workers run at this process's priority: by
    default Ray lowers theirs by 15 nice levels (to protect its own daemons on
    cluster nodes), which on a workstation doing anything else starves them."""
    os.environ.setdefault("RAY_worker_niceness", "0")
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)


class RayEngine:
    """A pool of workers on one model, reusable for several runs; close() when done."""

    def __init__(self, weights: str | Path, options: RayOptions | None = None) -> None:
        self.options = options or RayOptions()
        if self.options.batch_size < 1:
            raise RayEngineError(f"--batch-size must be at least 1 (got {self.options.batch_size})")
        self._started_ray = connect(self.options.address)
        try:
            self.plan = plan_workers(self.options.device, self.options.workers, self.options.gpus_per_worker)
            self.pool = WorkerPool(str(weights), self.plan, self.options.precision, self.options.worker_env,
                                   self.options.max_replacements, self.options.window_batch)
        except BaseException:
            self.close()
            raise

    def warm_up(self, timeout: float | None = None) -> None:
        """Start every worker now and wait until they have loaded the model (runs
        otherwise start on the first worker ready and let the others join)."""
        self.pool.start([])
        self.pool.wait_started(self.options.start_timeout if timeout is None else timeout)

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.shutdown()
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
        self._started_ray = False

    def run(self, jobs: list[Job], out_dir: str | Path, meta: ModelMeta,
            formats: Iterable[str] = OUTPUT_FORMATS, settings: ProtocolSettings | None = None,
            overwrite: bool = False, cancel: threading.Event | None = None,
            on_file: Callable[[FileRecord], None] | None = None, replace_edited: bool = False) -> BatchReport:
        """Like the engine's ``run_batch``; ``meta`` (of the weights the workers load) names
        the model and its classes in the run files and the manifest. ``LedgerError`` when
        the output folder is in use or cannot be written."""
        settings = settings if settings is not None else meta.protocol("fast")
        ledger = BatchLedger.start(jobs, out_dir, meta, settings, formats, overwrite, replace_edited)
        return _Run(self, ledger, settings, cancel, on_file).go()


class _Run:
    """The scheduling loop of one run."""

    def __init__(self, engine: RayEngine, ledger: BatchLedger, settings: ProtocolSettings,
                 cancel: threading.Event | None, on_file: Callable[[FileRecord], None] | None) -> None:
        self.engine, self.pool, self.options = engine, engine.pool, engine.options
        self.ledger, self.jobs, self.out_dir, self.formats = ledger, ledger.jobs, ledger.out_dir, ledger.formats
        self.settings, self.cancel, self.on_file = settings, cancel, on_file
        self.records: list[FileRecord | None] = [None] * len(self.jobs)
        self.attempts = [0] * len(self.jobs)
        self.todo: deque[int] = deque()
        self.in_flight: dict[Any, tuple[Slot, int]] = {}

    def go(self) -> BatchReport:
        started = time.perf_counter()
        cancelled = False
        try:
            for index, record in self.ledger.decided():
                self._finish(index, record)
            self.todo.extend(self.ledger.todo)
            if self.todo:
                cancelled = self._run_todo()
        except BaseException:
            self.ledger.close()
            raise
        return self.ledger.finish(time.perf_counter() - started, cancelled)

    def _run_todo(self) -> bool:
        probe = self.out_dir / f".ray-probe-{os.getpid()}-{time.time_ns()}"
        try:
            probe.write_bytes(b"")
        except OSError as exc:
            raise RayEngineError(f"cannot write to the output folder {self.out_dir}: {exc.strerror or exc}") from None
        cancelled = False
        try:
            self.pool.start([str(probe), str(self.jobs[self.todo[0]].source)])
            cancelled = self._loop()
        except KeyboardInterrupt:
            self._abandon_in_flight()
            raise
        finally:
            probe.unlink(missing_ok=True)
            if cancelled:
                self._finish_in_flight()
        return cancelled

    def _loop(self) -> bool:
        """Dispatch and collect until every image has a record; True if cancelled."""
        last_worker_seen = time.monotonic()
        while self.todo or self.in_flight:
            if self.cancel is not None and self.cancel.is_set():
                return True
            self._dispatch()
            starting = self.pool.starting_refs()
            if self.pool.ready():
                last_worker_seen = time.monotonic()
            elif time.monotonic() - last_worker_seen > self.options.start_timeout:
                self._fail_rest(f"no Ray worker started within {self.options.start_timeout:.0f} s "
                                f"({self.engine.plan.describe()} requested; does the cluster have them?)")
                break
            if not self.in_flight and not starting:
                self._fail_rest("; ".join(self.pool.problems[-3:]) or "no worker")
                break
            ready, _ = ray.wait(list(self.in_flight) + list(starting), num_returns=1, timeout=0.5)
            for ref in ready:
                if ref in starting:
                    self.pool.mark_ready(starting[ref])
                else:
                    self._collect(ref)
        return False

    def _dispatch(self) -> None:
        """Fill every ready worker up to ``batch_size`` images. An image retried after
        a lost worker goes alone to an empty worker: if the image itself kills workers
        (a decoder crash, memory), it takes no innocent neighbour down with it."""
        for slot in self.pool.ready():
            while self.todo and slot.in_flight < self.options.batch_size and not slot.isolated:
                index = self.todo[0]
                if self.attempts[index] > 0:
                    if slot.in_flight:
                        break
                    slot.isolated = True
                self.todo.popleft()
                self.attempts[index] += 1
                ref = slot.actor.process.remote(self.jobs[index], str(self.out_dir), self.formats,
                                                self.settings, self.ledger.overwrite_for(index))
                slot.in_flight += 1
                self.in_flight[ref] = (slot, index)

    def _collect(self, ref: Any) -> None:
        slot, index = self.in_flight.pop(ref)
        slot.in_flight -= 1
        slot.isolated = slot.isolated and slot.in_flight > 0
        try:
            record: FileRecord = ray.get(ref)
        except WORKER_LOST as exc:
            self._lost(slot, index, exc)
            return
        except ray.exceptions.RayError as exc:  # an error escaped process_one: report it for this file
            record = FileRecord(str(self.jobs[index].source), "failed", error=error_text(exc))
        slot.done += 1
        if self.attempts[index] > 1:
            if record.status == "skipped":  # the lost try finished writing but not reporting
                record = recovered_record(self.jobs[index], self.out_dir, self.formats)
            record.notes.append(f"retried after its worker was lost ({self.attempts[index]} tries)")
        self._finish(index, record)

    def _lost(self, slot: Slot, index: int, exc: BaseException) -> None:
        reason = error_text(exc)
        self.pool.lose(slot, reason)
        job = self.jobs[index]
        if not (MAYBE_ALIVE and isinstance(exc, MAYBE_ALIVE)):  # the worker is gone: nothing writes
            remove_temporaries(job, self.formats)
        if self.attempts[index] < self.options.max_attempts:
            self.todo.appendleft(index)
        else:
            self._finish(index, FileRecord(str(job.source), "failed", error=(
                f"{job.source}: its Ray worker was lost {self.attempts[index]} times "
                f"(the last time: {reason})")))

    def _fail_rest(self, why: str) -> None:
        """No worker to go on with: a usage-level error if none ever ran an image, else
        the images not done are failures with the reason."""
        if not any(r is not None and r.status != "skipped" for r in self.records):
            raise RayEngineError(f"no Ray worker could run: {why}")
        while self.todo:
            index = self.todo.popleft()
            self._finish(index, FileRecord(str(self.jobs[index].source), "failed",
                                           error=f"{self.jobs[index].source}: no Ray worker left ({why})"))

    def _finish_in_flight(self, timeout: float = 60.0) -> None:
        """Cancelled: dispatch nothing more and let the images already on workers finish.

        Killing the workers instead raced with their writes: a process still dying could
        create an atomic-write temporary after the driver had removed them, leaving it
        in the user's folder. Finished images are recorded as done; only workers that
        do not finish within ``timeout`` are killed."""
        deadline = time.monotonic() + timeout
        while self.in_flight and time.monotonic() < deadline:
            ready, _ = ray.wait(list(self.in_flight), num_returns=1, timeout=0.5)
            for ref in ready:
                self._collect(ref)
        if self.in_flight:
            self._abandon_in_flight()

    def _abandon_in_flight(self) -> None:
        """Cancelled or interrupted: stop the workers now; their images stay undone
        (no partial files: writes are atomic and temporaries are removed)."""
        self.pool.shutdown()
        if self.in_flight:  # the kills are asynchronous: let them land before tidying up
            ray.wait(list(self.in_flight), num_returns=len(self.in_flight), timeout=10)
            self.pool.wait_gone(timeout=10)
        for _, index in self.in_flight.values():
            remove_temporaries(self.jobs[index], self.formats)
        self.in_flight.clear()

    def _finish(self, index: int, record: FileRecord) -> None:
        if self.records[index] is None and index in self.ledger.job_overwrite:
            record = self.ledger.record(index, record)  # decided ones are the ledger's already
        self.records[index] = record
        if self.on_file is not None:
            self.on_file(record)
