"""The comparison follows the labels on screen while the label editor changes them.

The editor tells the window about an edit the way it tells the legend: the viewer's
``ClassDisplay.counts_changed`` (after each finished step, undo and redo included, and at
most every 120 ms during a stroke; Revert and a restored recovery file too). Each such
event counts as one more edit; ``DEBOUNCE_MS`` after the last one, the labels shown are
compared again with B's labels, which stay as the worker made them (B never runs again
for an edit). The figures and the disagreement map are worked out on a pool thread of
their own (0.5 s on a 6000 x 8000 map), never on the GUI thread and never behind the
model in the worker; one at a time, the latest edit winning.

An answer fits the labels on screen when it was computed from that very array and, if
the editor is changing the array, at the edit count now: an answer computed while the
user went on painting is not drawn (the next one is on its way).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer

from app.gui.thread_pool import ThreadPoolSubmitter
from app.gui.worker_types import CompareOutcome
from app.labels.compare import Agreement, compare_label_maps

if TYPE_CHECKING:
    from app.gui.compare.link import CompareLink

DEBOUNCE_MS = 200  # after the last edit; a stroke's legend updates come every 120 ms


@dataclass
class Answer:
    """B's labels of one image and their comparison with the labels ``labels_a`` as they
    were at edit count ``stamp``."""

    outcome: CompareOutcome
    labels_a: "weakref.ref[np.ndarray]"
    stamp: int

    @property
    def nbytes(self) -> int:  # the link's cache keeps answers by memory
        return int(self.outcome.labels_b.nbytes + self.outcome.disagreement.nbytes)


def compare_again(labels_a: np.ndarray, base: CompareOutcome, names_a: tuple[str, ...],
                  names_b: tuple[str, ...]) -> tuple[Agreement, np.ndarray, float]:
    """The figures and the disagreement map of ``labels_a`` against B's labels of ``base``
    (pool thread), and the seconds they took."""
    started = time.perf_counter()
    mask = np.zeros(labels_a.shape, np.uint8)
    agreement = compare_label_maps(labels_a, base.labels_b, names_a, names_b, disagreement=mask)
    return agreement, mask, time.perf_counter() - started


class EditFollower(QObject):
    """Counts the edits of the labels shown and compares them again when the user pauses."""

    def __init__(self, link: "CompareLink") -> None:
        super().__init__(link)
        self.link = link
        self.edits = 0  # counts_changed events so far
        self.recomputed = 0  # answers made here (the tests read it)
        self.last_seconds = 0.0
        self.timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.timer.timeout.connect(self.sync)
        self._pool = ThreadPoolSubmitter(max_threads=1, parent=self)
        self._running: tuple[Answer, np.ndarray, int] | None = None  # base, labels, stamp
        self._again = False
        link.viewer.display.counts_changed.connect(self._on_counts)

    def busy(self) -> bool:
        return self._running is not None or self.timer.isActive()

    def under_edit(self, labels: np.ndarray) -> bool:
        session = self.link.window.editor.session
        return session is not None and session.doc.labels is labels

    def edited(self, labels: np.ndarray) -> bool:
        """The editor has changed ``labels`` (saved or not) since the image was opened."""
        session = self.link.window.editor.session
        return session is not None and session.doc.labels is labels and (session.doc.dirty or session.doc.can_undo())

    def fits(self, answer: Answer | None, labels: np.ndarray) -> bool:
        return answer is not None and answer.labels_a() is labels and (
            answer.stamp == self.edits or not self.under_edit(labels))

    def _on_counts(self) -> None:
        self.edits += 1
        if self.link.base is not None:
            self.timer.start()  # again: the last edit counts

    def sync(self) -> None:
        """Draw an answer that fits the labels on screen: B's own, or one worked out here."""
        link, labels = self.link, self.link.labels_on_screen()
        base = link.base
        if base is None or labels is None or labels.shape != base.outcome.labels_b.shape:
            return
        if self.fits(link.shown, labels):
            return
        if self.fits(base, labels):
            link.draw(base)
            return
        if self._running is not None:
            self._again = True
            return
        classes, model_b = link.viewer.classes(), link.model_b
        if classes is None or model_b is None:
            return
        job = self._running = (base, labels, self.edits)
        names_a, names_b = tuple(classes.names), tuple(model_b.meta.classes.names)
        if link.shown is None:
            link.dock.set_waiting("Comparing B's labels with the labels shown\u2026")
        else:
            link.dock.set_updating("Updating for the edited labels\u2026")
        self._pool(lambda _context: compare_again(labels, base.outcome, names_a, names_b),
                   lambda value: self._done(job, value), lambda message: self._failed(job, message))

    def _done(self, job: tuple[Answer, np.ndarray, int], value: tuple[Agreement, np.ndarray, float]) -> None:
        self._running = None
        base, labels, stamp = job
        agreement, mask, self.last_seconds = value
        self.recomputed += 1
        answer = Answer(replace(base.outcome, agreement=agreement, disagreement=mask), weakref.ref(labels), stamp)
        if self.link.base is base and self.fits(answer, labels) and labels is self.link.labels_on_screen():
            self.link.draw(answer)
        self._next()

    def _failed(self, job: tuple[Answer, np.ndarray, int], message: str) -> None:
        self._running = None
        if self.link.base is job[0]:
            self.link.dock.set_updating("")
            self.link.window.messages.show_message(f"Comparing the edited labels with B failed: {message}", "warning")
        self._next()

    def _next(self) -> None:
        """What was asked for meanwhile (a new answer of B, another image); newer edits come
        with the timer."""
        if self._again:
            self._again = False
            self.sync()
        elif not self.timer.isActive() and self._running is None:
            self.link.dock.set_updating("")
