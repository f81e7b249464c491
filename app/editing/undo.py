"""Undo history of a label map as changed regions, never copies of the map.

A step holds, for the bounding box an edit changed, the values that are *not* on
the map now: right after the edit those are the old values; undoing swaps them
with the map's values, so the step then holds the new values for redo (napari's
Labels layer keeps its history the same way). One array per step, not two.

A step is stored densely (the whole box) or, when less than a fifth of the box
changed (a thin stroke across the image), sparsely as the changed pixels' row and
column inside the box plus their values.

Memory bound: the history keeps at most ``max_steps`` steps and at most
``budget_bytes`` of stored arrays; past either, the oldest steps are dropped. The
newest step is always kept, even when it alone exceeds the budget, so the last edit
can always be undone. With the defaults (256 MiB, 1000 steps) every step of up to
2.6 MB is among at least 100 undoable ones: a dense box of 1600 x 1600 uint8
pixels, or a stroke that changed 500 000 pixels.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import count

import numpy as np

DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_STEPS = 1000
SPARSE_FRACTION = 0.2  # store sparsely below this fraction of changed pixels

Box = tuple[int, int, int, int]  # y0, y1, x0, x1 (half-open), in map pixels


@dataclass
class EditStep:
    """One undoable change; ``values`` are those the map does not hold at the moment."""

    box: Box
    values: np.ndarray                       # dense: box-shaped; sparse: (n,) values
    rows: np.ndarray | None = None           # sparse only: positions inside the box
    cols: np.ndarray | None = None
    state: int = 0                           # the map's state id after this step
    parent_state: int = 0                    # the state id before it

    @property
    def nbytes(self) -> int:
        extra = 0 if self.rows is None else self.rows.nbytes + self.cols.nbytes  # type: ignore[union-attr]
        return int(self.values.nbytes) + extra

    def current(self, labels: np.ndarray) -> np.ndarray:
        """A copy of the map's values where this step would write (reads the map only, so
        it can run off the GUI thread while the map is shown)."""
        y0, y1, x0, x1 = self.box
        region = labels[y0:y1, x0:x1]
        return region.copy() if self.rows is None else region[self.rows, self.cols]

    def swap(self, labels: np.ndarray, current: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Exchange the stored values with the map's; returns (values removed, values put).

        ``current``: the map's values from ``current(labels)`` when the caller already has
        them (computed on a worker thread), so that only the write is left to do."""
        if current is None:
            current = self.current(labels)
        y0, y1, x0, x1 = self.box
        region = labels[y0:y1, x0:x1]
        if self.rows is None:
            np.copyto(region, self.values)
        else:
            region[self.rows, self.cols] = self.values
        put, self.values = self.values, current
        return current, put


@dataclass(frozen=True)
class Swap:
    """What an undo or redo did: the box, the values it took off the map and those it put."""

    box: Box
    removed: np.ndarray
    put: np.ndarray


def make_step(box: Box, before: np.ndarray, after: np.ndarray) -> EditStep | None:
    """The step from a box's values before and after an edit; None when nothing changed."""
    return step_from_changed(box, before, before != after)


def step_from_changed(box: Box, before: np.ndarray, changed: np.ndarray, owned: bool = False) -> EditStep | None:
    """The step of a box whose pixels ``changed`` (bool, box-shaped) held ``before``;
    ``owned``: ``before`` is the caller's own copy, kept as the step's array (no copy)."""
    n = int(np.count_nonzero(changed))
    if n == 0:
        return None
    if n < SPARSE_FRACTION * changed.size:
        rows, cols = np.nonzero(changed)
        index = np.uint16 if max(changed.shape) <= np.iinfo(np.uint16).max else np.uint32
        return EditStep(box, before[rows, cols], rows.astype(index), cols.astype(index))
    return EditStep(box, before if owned else before.copy())


def step_from_pixels(labels: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                     before: np.ndarray) -> EditStep | None:
    """The step of pixels (absolute ``rows``, ``cols``) whose old values were ``before``.

    ``labels`` already holds the new values; a pixel listed twice keeps its first
    (oldest) value, so the segments of a stroke can be listed in the order painted.
    """
    if rows.size == 0:
        return None
    linear = rows.astype(np.int64) * labels.shape[1] + cols
    _, first = np.unique(linear, return_index=True)
    rows, cols, before = rows[first], cols[first], before[first]
    y0, y1, x0, x1 = int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1
    rows, cols = rows - y0, cols - x0
    if rows.size >= SPARSE_FRACTION * (y1 - y0) * (x1 - x0):
        dense = labels[y0:y1, x0:x1].copy()
        dense[rows, cols] = before
        return EditStep((y0, y1, x0, x1), dense)
    index = np.uint16 if max(y1 - y0, x1 - x0) <= np.iinfo(np.uint16).max else np.uint32
    return EditStep((y0, y1, x0, x1), before, rows.astype(index), cols.astype(index))


class EditHistory:
    """Undo and redo stacks of ``EditStep`` within a byte budget (see the module doc)."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        if budget_bytes <= 0 or max_steps <= 0:
            raise ValueError("the undo budget and step limit must be positive")
        self.budget_bytes, self.max_steps = budget_bytes, max_steps
        self._undo: deque[EditStep] = deque()
        self._redo: list[EditStep] = []
        self._ids = count(1)
        self.state = 0        # id of the map's current state (0: as opened)
        self.dropped = 0      # steps dropped from the oldest end so far

    def push(self, step: EditStep) -> None:
        """Record a new edit (already applied to the map); clears the redo stack."""
        step.parent_state, step.state = self.state, next(self._ids)
        self.state = step.state
        self._undo.append(step)
        self._redo.clear()
        self._trim()

    def undo(self, labels: np.ndarray, current: np.ndarray | None = None) -> Swap | None:
        """Revert the newest step on ``labels``; None when there is nothing to undo.
        ``current``: that step's ``current(labels)``, when already computed."""
        if not self._undo:
            return None
        step = self._undo.pop()
        removed, put = step.swap(labels, current)
        self.state = step.parent_state
        self._redo.append(step)
        return Swap(step.box, removed, put)

    def redo(self, labels: np.ndarray, current: np.ndarray | None = None) -> Swap | None:
        if not self._redo:
            return None
        step = self._redo.pop()
        removed, put = step.swap(labels, current)
        self.state = step.state
        self._undo.append(step)
        self._trim()
        return Swap(step.box, removed, put)

    def next_undo(self) -> EditStep | None:
        """The step ``undo`` would revert (left in place)."""
        return self._undo[-1] if self._undo else None

    def next_redo(self) -> EditStep | None:
        return self._redo[-1] if self._redo else None

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_steps(self) -> int:
        return len(self._undo)

    def redo_steps(self) -> int:
        return len(self._redo)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self._undo) + sum(s.nbytes for s in self._redo)

    def _trim(self) -> None:
        total = self.nbytes
        while len(self._undo) > 1 and (total > self.budget_bytes or
                                       len(self._undo) + len(self._redo) > self.max_steps):
            total -= self._undo.popleft().nbytes
            self.dropped += 1
