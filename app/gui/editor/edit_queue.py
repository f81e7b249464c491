"""The editor's heavy array work off the GUI thread, one edit at a time, strictly in order.

A fill, a polygon, a replace or an undo on an 8000 x 6000 map reads and writes tens of
MB; on the GUI thread that froze the window for half a second. Here such an edit is
*computed* on a pool thread of its own (not the model's worker: a long inference must
not hold up an edit), reading the map only (``app.editing.prepared``), and *applied* on
the GUI thread when done, in one copy of its box.

Order: while an edit is being computed, everything else that touches the map waits in
line here (a brush stroke begun meanwhile, an undo, the next fill) and runs, in the
order it came, as soon as the edit is applied. ``wait()`` finishes all of it at once,
for what cannot wait (saving, leaving the image, closing).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app.gui.thread_pool import ThreadPoolSubmitter

DRAIN_BUDGET_MS = 15  # waiting actions replayed per event-loop turn after an edit is applied


class _Job:
    def __init__(self, compute: Callable[[], Any], apply: Callable[[Any], None], what: str) -> None:
        self.compute, self.apply, self.what = compute, apply, what
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def run(self, _context: Any = None) -> None:  # on the pool thread
        try:
            self.value = self.compute()
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, reported there
            self.error = exc
        finally:
            self.done.set()


class EditQueue(QObject):
    """``run(compute, apply, what)``: ``compute()`` on the pool thread, ``apply(value)`` on the
    GUI thread; ``then(action)``: a GUI-thread action, after what is already in line."""

    busyChanged = Signal(str)  # what is being computed ("" when idle); silent jobs say nothing

    def __init__(self, report: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.report = report  # shows an edit's failure to the user
        self._pool = ThreadPoolSubmitter(max_threads=1, parent=self)
        self._running: _Job | None = None
        self._waiting: deque[Callable[[], None]] = deque()
        self._draining = False
        self._front = 0      # while draining: where what the running action asks for goes in line
        self._shown = ""     # what busyChanged last said
        self._flushing = False  # in wait(): everything now, no turns of the event loop

    def busy(self) -> bool:
        return self._running is not None or bool(self._waiting)

    def busy_with(self) -> str:
        """What the user is waiting for ("" for nothing or a silent job)."""
        return self._running.what if self._running is not None else ""

    def waiting(self) -> int:
        """Actions in line behind the running job."""
        return len(self._waiting)

    def then(self, action: Callable[[], None]) -> None:
        """Do ``action`` now when nothing is in line, else after everything that is."""
        if self._running is not None or (self._waiting and not self._draining):
            self._enqueue(action)
        else:
            action()

    def run(self, compute: Callable[[], Any], apply: Callable[[Any], None], what: str = "") -> None:
        """Compute off the GUI thread and apply on it; ``what`` ("Filling") shows as busy,
        "" runs silently (a copy for the recovery file)."""
        if self._running is not None or (self._waiting and not self._draining):  # keep the order
            self._enqueue(lambda: self.run(compute, apply, what))
            return
        job = self._running = _Job(compute, apply, what)
        self._pool(job.run, lambda _value: self._finish(job), lambda message: self._failed(job, message))
        self._say_busy()

    def wait(self) -> None:
        """Compute and apply everything in line now (blocks the GUI thread until done)."""
        self._flushing = True
        try:
            self._drain()
            while self._running is not None:
                job = self._running
                job.done.wait()
                self._finish(job)
        finally:
            self._flushing = False

    def close(self) -> None:
        self.wait()
        self._pool.wait(10_000)

    # --- internals -------------------------------------------------------------------------
    def _enqueue(self, action: Callable[[], None]) -> None:
        if self._draining:  # asked for by the action being run: before what came after it
            self._waiting.insert(self._front, action)
            self._front += 1
        else:
            self._waiting.append(action)

    def _finish(self, job: _Job) -> None:
        if job is not self._running:
            return  # already applied by wait(); this is the pool's late notice
        job.done.wait()
        self._running = None
        if job.error is not None:
            self.report(f"{job.what or 'The edit'} failed: {job.error}")
        else:
            job.apply(job.value)
        if self._flushing:
            self._drain()
        elif self._waiting:  # the apply had its turn (tens of ms on a big map): replay in the next
            QTimer.singleShot(0, self, lambda: self._drain(DRAIN_BUDGET_MS))
        self._say_busy()

    def _failed(self, job: _Job, message: str) -> None:
        job.error = job.error or RuntimeError(message)
        self._finish(job)

    def _drain(self, budget_ms: float | None = None) -> None:
        """Run the waiting actions in order until one starts another job (or none is left).
        ``budget_ms``: after that long, let the event loop paint and go on in its next turn
        (a stroke drawn while a fill was computed comes out as a quick replay, not one stall)."""
        if self._draining:
            return
        self._draining = True
        deadline = None if budget_ms is None else time.perf_counter() + budget_ms / 1000
        try:
            while self._waiting and self._running is None:
                self._front = 0
                self._waiting.popleft()()
                if deadline is not None and time.perf_counter() > deadline and self._waiting:
                    QTimer.singleShot(0, self, lambda: self._drain(DRAIN_BUDGET_MS))
                    return
        finally:
            self._draining = False

    def _say_busy(self) -> None:
        if self.busy_with() != self._shown:
            self._shown = self.busy_with()
            self.busyChanged.emit(self._shown)
