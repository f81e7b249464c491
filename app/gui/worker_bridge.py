"""``worker_submitter``: a ``Submit`` hook (``app.gui.jobs``) on the viewer's InferenceWorker.

The worker owns the model, which never leaves its thread; its job slot
(``submit_job(fn) -> id``, ``jobFinished(id, value)`` / ``jobFailed(id, message)``) is
shared by every client (the batch run, the inspector), so a bridge answers only the
ids it submitted.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QObject, SignalInstance, Slot

from app.gui.jobs import Job, OnDone, OnError


class JobWorker(Protocol):
    """What a bridge uses of the InferenceWorker (its job slot), so tests can give a fake one."""

    @property
    def jobFinished(self) -> SignalInstance: ...  # noqa: N802 - the worker's signal names

    @property
    def jobFailed(self) -> SignalInstance: ...  # noqa: N802

    def submit_job(self, fn: Job) -> int: ...


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
