"""How the inspector runs work off the GUI thread, without knowing who runs it.

The dock takes ``submit(fn, on_done, on_error)``: ``fn`` receives a Segmenter-like
object (it has ``.loaded``) and runs wherever the submitter decides; ``on_done(value)``
or ``on_error(message)`` is then called on the GUI thread. Three submitters:
``worker_submitter`` (the viewer's InferenceWorker: jobs run in the thread that owns
the model, which never leaves it), ``ThreadPoolSubmitter`` (a QThreadPool; the dock's
own numpy reductions) and ``synchronous_submit`` (tests and scripts).
"""

from __future__ import annotations

import itertools
import traceback
from typing import Any, Callable, Protocol

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, SignalInstance, Slot

# The context a job receives is the submitter's: the worker's Segmenter, or whatever a
# ThreadPoolSubmitter / synchronous_submit was given (None for pure numpy work), so Any.
Job = Callable[[Any], Any]
OnDone = Callable[[Any], None]  # the job's return value, whatever its type
OnError = Callable[[str], None]
Submit = Callable[[Job, OnDone, OnError], None]


class JobWorker(Protocol):
    """What a bridge uses of the InferenceWorker (its job slot), so tests can give a fake one."""

    @property
    def jobFinished(self) -> SignalInstance: ...  # noqa: N802 - the worker's signal names

    @property
    def jobFailed(self) -> SignalInstance: ...  # noqa: N802

    def submit_job(self, fn: Job) -> int: ...


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def synchronous_submit(context: Any = None) -> Submit:
    """Run jobs at once on the calling thread (tests, and tiny models)."""
    def submit(fn: Job, on_done: OnDone, on_error: OnError) -> None:
        try:
            value = fn(context)
        except Exception as exc:  # noqa: BLE001 - reported to the dock, never raised into Qt
            on_error(_describe(exc))
            return
        on_done(value)
    return submit


class _Relay(QObject):
    """Lives on the GUI thread; queued signals bring results back to it."""

    finished = Signal(int, object)  # job id, the job's return value (any type: object)
    failed = Signal(int, str)


class _Runnable(QRunnable):
    def __init__(self, job_id: int, fn: Job, context: Any, relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.job_id, self.fn, self.context, self.relay = job_id, fn, context, relay

    def run(self) -> None:  # on a pool thread
        try:
            value = self.fn(self.context)
        except Exception as exc:  # noqa: BLE001 - reported to the caller, never raised into Qt
            traceback.print_exc()
            self.relay.failed.emit(self.job_id, _describe(exc))
            return
        self.relay.finished.emit(self.job_id, value)


class ThreadPoolSubmitter(QObject):
    """Run jobs on a QThreadPool (one thread by default, so model jobs never overlap)."""

    def __init__(self, context: Any = None, max_threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[OnDone, OnError]] = {}
        self._running: dict[int, QRunnable] = {}
        self._relay = _Relay(self)
        self._relay.finished.connect(self._finish)
        self._relay.failed.connect(self._fail)

    def __call__(self, fn: Job, on_done: OnDone, on_error: OnError) -> None:
        job_id = next(self._ids)
        self._pending[job_id] = (on_done, on_error)
        runnable = _Runnable(job_id, fn, self._context, self._relay)
        self._running[job_id] = runnable  # Python must keep it alive while the pool runs it
        self._pool.start(runnable)

    def wait(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)

    @Slot(int, object)
    def _finish(self, job_id: int, value: Any) -> None:
        self._running.pop(job_id, None)
        callbacks = self._pending.pop(job_id, None)
        if callbacks:
            callbacks[0](value)

    @Slot(int, str)
    def _fail(self, job_id: int, message: str) -> None:
        self._running.pop(job_id, None)
        callbacks = self._pending.pop(job_id, None)
        if callbacks:
            callbacks[1](message)


class _WorkerBridge(QObject):
    """A submit hook on the worker's shared job signals, answering only its own jobs.

    It lives on the GUI thread as a child of its owner (a batch run, the inspector link),
    so it is deleted, and Qt drops its connections, with the owner; ``close()`` does it
    earlier (a finished run).
    """

    def __init__(self, worker: JobWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)  # on the GUI thread (the worker itself lives on its own thread)
        self.worker = worker
        self.pending: dict[int, tuple[OnDone, OnError]] = {}
        # An answer can beat the registration when the worker emits directly (same thread).
        self.early: dict[int, tuple[bool, Any]] = {}
        self.submitting = False
        self.closed = False
        worker.jobFinished.connect(self._finish)
        worker.jobFailed.connect(self._fail)

    def __call__(self, fn: Job, on_done: OnDone, on_error: OnError) -> None:
        self.submit(fn, on_done, on_error)

    def close(self) -> None:
        """Stop listening to the worker and forget pending answers; deleted by the event loop."""
        if self.closed:
            return
        self.closed = True
        try:
            self.worker.jobFinished.disconnect(self._finish)
            self.worker.jobFailed.disconnect(self._fail)
        except RuntimeError:  # the worker is already deleted (the window closing): no connections left
            pass
        self.pending.clear()
        self.early.clear()
        self.deleteLater()

    def submit(self, fn: Job, on_done: OnDone, on_error: OnError) -> None:
        if self.closed:
            raise RuntimeError("this job bridge is closed")
        self.submitting = True
        try:
            job_id = self.worker.submit_job(fn)
        finally:
            self.submitting = False
        if job_id in self.early:
            ok, value = self.early.pop(job_id)
            (on_done if ok else on_error)(value)
        else:
            self.pending[job_id] = (on_done, on_error)

    @Slot(int, object)
    def _finish(self, job_id: int, value: Any) -> None:
        self._answer(job_id, True, value)

    @Slot(int, str)
    def _fail(self, job_id: int, message: str) -> None:
        self._answer(job_id, False, message)

    def _answer(self, job_id: int, ok: bool, value: Any) -> None:
        callbacks = self.pending.pop(job_id, None)
        if callbacks is not None:
            callbacks[0 if ok else 1](value)
        elif self.submitting:  # answered inside submit_job: keep it until the id is known
            self.early[job_id] = (ok, value)
        # otherwise it is another client's job (the worker's signals are shared): not ours


def worker_submitter(worker: JobWorker, parent: QObject | None = None) -> _WorkerBridge:
    """A submit hook backed by the viewer's InferenceWorker (submit_job / jobFinished / jobFailed).

    Make it on the GUI thread, with the object that uses it as ``parent`` (without one the
    caller's reference keeps it alive); the bridge's slots then run there (queued connections).
    """
    return _WorkerBridge(worker, parent)
