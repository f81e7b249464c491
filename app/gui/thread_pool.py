"""``ThreadPoolSubmitter``: a ``Submit`` hook (``app.gui.jobs``) backed by a QThreadPool of its own.

For work that must not wait behind the model in the inference worker: the editor's
edits, the inspector's numpy reductions. One thread by default, so its jobs never
overlap; the answers come back to the GUI thread through queued signals.
"""

from __future__ import annotations

import itertools
import traceback
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from app.gui.jobs import Job, OnDone, OnError, describe_error, run_job


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
            value = run_job(self.fn, self.context)
        except Exception as exc:  # noqa: BLE001 - reported to the caller, never raised into Qt
            traceback.print_exc()
            self.relay.failed.emit(self.job_id, describe_error(exc))
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
