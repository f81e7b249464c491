"""The inference worker's side of a comparison (Model > Compare With Model...): the GUI-thread
calls that load, drop and ask model B, and the worker-thread turn that answers one request.

Mixed into ``InferenceWorker`` (app/gui/worker.py), whose queues, lock and signals these use;
model B itself and its work are ``app.gui.worker_compare.CompareModel``. A comparison runs
after any segmentation waiting (B after A), latest first, and a new image drops the old one's.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from app.gui.worker_types import CompareRequest, Task

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.checkpoints.meta import LoadedModel
    from app.gui.worker_compare import CompareModel


class CompareRequests:
    """Mixed into ``InferenceWorker``: uses its lock, queues, signals and model B."""

    if TYPE_CHECKING:  # what this uses of InferenceWorker, for the type checker only
        _lock: threading.Lock
        _pending_compare: CompareRequest | None
        _running: object
        _active_cancel: threading.Event | None
        _compare: CompareModel
        _wake: SignalInstance
        compareDropped: SignalInstance

        def next_id(self) -> int: ...
        def _enqueue(self, task: Task) -> int: ...

    # --- GUI thread ------------------------------------------------------------------------
    def load_compare(self, path: str | Path) -> int:
        """Load a checkpoint as the comparison's model B (compareModelChanged / compareModelFailed)."""
        return self._enqueue(Task("compare_load", path=str(path)))

    def set_compare(self, loaded: LoadedModel, source: str = "") -> int:
        return self._enqueue(Task("compare_set", loaded=loaded, path=source))

    def clear_compare(self) -> int:
        """Drop model B (its memory is freed in the worker); pending comparisons are dropped."""
        self._drop_compare()
        return self._enqueue(Task("compare_clear"))

    def submit_compare(self, request: CompareRequest) -> int:
        """Segment with model B and compare (after any pending segmentation: B after A); latest wins."""
        request.request_id = self.next_id()
        self._drop_compare(request)
        self._wake.emit()
        return request.request_id

    def _drop_compare(self, replacement: CompareRequest | None = None) -> None:
        with self._lock:
            dropped, self._pending_compare = self._pending_compare, replacement
            running = self._running
        if isinstance(running, CompareRequest):
            running.cancel.set()
        if dropped is not None:
            self.compareDropped.emit(dropped.request_id)

    # --- worker thread ---------------------------------------------------------------------
    def _run_compare(self, request: CompareRequest) -> None:
        self._active_cancel = request.cancel  # read by model B's cancel hooks too
        try:
            self._compare.answer(request)
        finally:
            self._active_cancel = None
