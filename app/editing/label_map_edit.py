"""An editable label map: tools applied as changed regions, undo/redo, class counts.

The document owns its own copy of the map (the model's result stays as it was, so
"Discard" is exact). Every change reports the bounding box it touched, so a view
redraws only that, and the per-class pixel counts are updated from the changed
pixels alone. A brush stroke (press, drags, release) is one undo step.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from app.editing import prepared, tools
from app.engine.histogram import class_counts
from app.editing.undo import Box, EditHistory, step_from_pixels

IGNORE = 255  # the "no label" value of every label format the app reads and writes


class LabelMapEdit:
    """``labels`` is edited in place; ``counts[c]`` is the number of pixels of value c."""

    def __init__(self, labels: np.ndarray, num_classes: int, history: EditHistory | None = None) -> None:
        if labels.ndim != 2 or labels.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"a label map is a 2-D uint8 or uint16 array, not {labels.dtype} {labels.shape}")
        self.labels = labels
        self.num_classes = int(num_classes)
        self.history = history or EditHistory()
        self.counts = class_counts(labels, max(self.num_classes, IGNORE + 1))  # in chunks: big maps
        self.saved_state = self.history.state
        self._stroke: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # rows, cols, old values

    # --- state ---------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return int(self.labels.shape[0]), int(self.labels.shape[1])

    @property
    def dirty(self) -> bool:
        """True when the map differs from its last saved (or opened) state."""
        return self.history.state != self.saved_state or bool(self._stroke)

    def mark_saved(self) -> None:
        self.saved_state = self.history.state

    def class_counts(self) -> np.ndarray:
        """Pixels per model class (ignore and other values left out)."""
        return self.counts[: self.num_classes].copy()

    def check_value(self, value: int) -> int:
        value = int(value)
        if not (0 <= value < self.num_classes or value == IGNORE):
            raise ValueError(f"class {value} is not one of the model's {self.num_classes} classes "
                             f"or the ignore value {IGNORE}")
        return value

    # --- tools ---------------------------------------------------------------------------
    def begin_stroke(self) -> None:
        self.end_stroke()

    def stroke_to(self, start: tuple[float, float], end: tuple[float, float], size: int, value: int,
                  over: int | None = None) -> Box | None:
        """Paint one segment of the current stroke (starts one if needed); returns the box changed.
        ``over`` (a class or ignore): only the segment's pixels that hold it now change.

        Checking the current value (as napari does) is the same as checking the value before
        the stroke: a pixel the stroke painted holds ``value``, which is ``over`` only when
        the stroke changes nothing. Only the pixels a segment changed are remembered
        (position and old value), so closing a long stroke costs what it changed, not its
        bounding box."""
        value = self.check_value(value)
        region = tools.brush_region(self.shape, start, end, size)
        if region is None:
            return None
        y0, y1, x0, x1 = region.box
        window = self.labels[y0:y1, x0:x1]
        mask = region.mask & (window != value)
        if over is not None:
            mask &= window == self.check_value(over)
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            return None
        old = window[rows, cols]
        window[rows, cols] = value
        self._count(old, -1)
        self.counts[value] += rows.size
        self._stroke.append((rows + y0, cols + x0, old))
        return region.box

    def end_stroke(self) -> Box | None:
        """Close the stroke as one undo step; returns its box (None when it changed nothing)."""
        if not self._stroke:
            return None
        rows, cols, old = (np.concatenate(parts) for parts in zip(*self._stroke))
        self._stroke = []
        step = step_from_pixels(self.labels, rows, cols, old)
        if step is None:
            return None
        self.history.push(step)
        return step.box

    def paint(self, region: tools.Region | None, value: int, old: int | None = None) -> Box | None:
        """Set every pixel of ``region`` to ``value`` as one undo step (``old``: the one value
        the region holds now, when the caller knows it, as a flood fill does)."""
        self.end_stroke()
        return self.commit(prepared.prepare_paint(self, region, value, old))

    def fill(self, x: int, y: int, value: int, over: int | None = None, contiguous: bool = True) -> Box | None:
        """Flood-fill the 4-connected region under (x, y) with ``value`` (not ``contiguous``:
        every pixel of its class); with ``over``, only when that class is ``over``."""
        self.end_stroke()
        return self.commit(prepared.prepare_fill(self, x, y, value, over, contiguous))

    def fill_polygon(self, points: Sequence[tuple[float, float]], value: int, over: int | None = None) -> Box | None:
        self.end_stroke()
        return self.commit(prepared.prepare_polygon(self, tools.polygon_region(self.shape, points), value, over))

    def replace(self, old: int, new: int, region: tools.Region | None = None) -> Box | None:
        """Class ``old`` becomes ``new`` inside ``region`` (the whole map when None)."""
        self.end_stroke()
        return self.commit(prepared.prepare_replace(self, old, new, region))

    # --- history -------------------------------------------------------------------------
    def undo(self) -> Box | None:
        self.end_stroke()
        return self.commit(prepared.prepare_undo(self))

    def redo(self) -> Box | None:
        self.end_stroke()
        return self.commit(prepared.prepare_redo(self))

    def commit(self, edit: prepared.PreparedEdit | None) -> Box | None:
        """Apply an edit ``app.editing.prepared`` computed (perhaps on another thread) from
        the map as it is now: one copy of its box, the step recorded, the counts moved.
        Raises ``StaleEdit`` when the map changed since it was prepared."""
        if edit is None:
            return None
        if self._stroke or self.history.state != edit.base_state or (
                edit.kind != "paint" and edit.step is not (self.history.next_undo() if edit.kind == "undo"
                                                           else self.history.next_redo())):
            raise prepared.StaleEdit("the label map changed after this edit was computed")
        if edit.kind == "paint":
            assert edit.after is not None  # every paint edit carries its box's new values
            y0, y1, x0, x1 = edit.box
            np.copyto(self.labels[y0:y1, x0:x1], edit.after)
            self.history.push(edit.step)
        elif edit.kind == "undo":
            self.history.undo(self.labels, edit.current)
        else:
            self.history.redo(self.labels, edit.current)
        self._add_counts(edit.delta)
        return edit.box

    def can_undo(self) -> bool:
        return bool(self._stroke) or self.history.can_undo()

    def can_redo(self) -> bool:
        return not self._stroke and self.history.can_redo()

    # --- internals -----------------------------------------------------------------------
    def _add_counts(self, delta: np.ndarray) -> None:
        if delta.size > self.counts.size:
            self.counts = np.concatenate([self.counts, np.zeros(delta.size - self.counts.size, np.int64)])
        self.counts[: delta.size] += delta

    def _count(self, values: np.ndarray, sign: int) -> None:
        if values.size:
            self._add_counts(sign * class_counts(values, self.counts.size))  # chunked: no int64 map copy
