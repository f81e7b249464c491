"""Edits computed from a label map without changing it, then applied in one cheap step.

A fill, a polygon or a replace over a whole 8000 x 6000 map costs a few passes over its
48 MB: the region, the box's new values, the undo step, the change of the class counts;
an undo or redo costs the copy of the box it swaps and its counts. ``prepare_*`` does
all of that *reading* the map only, so it can run on a worker thread while the same
array stays on screen (numpy releases the GIL in these loops). ``LabelMapEdit.commit``
then writes the box (one copy) and records the step.

A prepared edit belongs to the state of the map it was computed from: ``commit``
refuses it once anything else changed the map (a stroke, another edit), so edits
must be prepared and committed one at a time, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.editing import tools
from app.editing.undo import Box, EditStep, step_from_changed
from app.engine.histogram import class_counts

if TYPE_CHECKING:
    from app.editing.label_map_edit import LabelMapEdit

# np.bincount keeps the GIL for its whole call (about 0.7 s for 48 M values on a busy core):
# counting in chunks this small hands it back to the GUI thread every millisecond or so.
COUNT_CHUNK = 1 << 18


class StaleEdit(ValueError):
    """A prepared edit no longer matches the map (it changed since)."""


@dataclass
class PreparedEdit:
    kind: str                          # "paint", "undo" or "redo"
    box: Box                           # y0, y1, x0, x1 it changes
    base_state: int                    # the history's state it was computed from
    delta: np.ndarray                  # change of the pixel count of each value (int64)
    step: EditStep                     # paint: the new step; undo/redo: the step swapped
    after: np.ndarray | None = None    # paint: the box's values after the edit
    current: np.ndarray | None = None  # undo/redo: the map's values the swap takes off


def prepare_paint(doc: "LabelMapEdit", region: tools.Region | None, value: int,
                  old: int | None = None) -> PreparedEdit | None:
    """Every pixel of ``region`` becomes ``value``; ``old``: the one value the region
    holds now, when the caller knows it (a flood fill, a replace); None: nothing changes."""
    if region is None:
        return None
    value = doc.check_value(value)
    if old == value:
        return None
    y0, y1, x0, x1 = region.box
    before = doc.labels[y0:y1, x0:x1].copy()
    changed = region.mask if old is not None else region.mask & (before != value)
    step = step_from_changed(region.box, before, changed, owned=True)
    if step is None:
        return None
    after = before.copy() if step.rows is None else before  # a dense step keeps ``before``
    np.copyto(after, np.asarray(value, after.dtype), where=changed)
    delta = np.zeros(doc.counts.size, np.int64)
    n = int(step.values.size if step.rows is not None else np.count_nonzero(changed))
    if old is not None:
        delta[old] -= n
    else:
        delta = _minus(delta, class_counts(step.values if step.rows is not None else step.values[changed],
                                           delta.size, chunk=COUNT_CHUNK))
    delta[value] += n
    return PreparedEdit("paint", region.box, doc.history.state, delta, step, after=after)


def prepare_fill(doc: "LabelMapEdit", x: int, y: int, value: int, over: int | None = None,
                 contiguous: bool = True) -> PreparedEdit | None:
    """The class under (x, y) becomes ``value``: its 4-connected region (``contiguous``) or
    every pixel of it in the map. ``over`` (a class or ignore): only when the clicked
    pixel is of that class, else nothing changes (napari's fill with "preserve labels")."""
    height, width = doc.shape
    if not (0 <= y < height and 0 <= x < width):
        return None
    old = int(doc.labels[y, x])
    if old == doc.check_value(value) or (over is not None and old != doc.check_value(over)):
        return None
    if not contiguous:
        return prepare_replace(doc, old, value)
    return prepare_paint(doc, tools.flood_region(doc.labels, x, y), value, old=old)


def prepare_polygon(doc: "LabelMapEdit", region: tools.Region | None, value: int,
                    over: int | None = None) -> PreparedEdit | None:
    """``region`` (a polygon, a rectangle) becomes ``value``; with ``over``, only its pixels of that class."""
    if over is None:
        return prepare_paint(doc, region, value)
    over = doc.check_value(over)
    return prepare_paint(doc, tools.paintable(doc.labels, region, over), value, old=over)


def prepare_replace(doc: "LabelMapEdit", old: int, new: int,
                    region: tools.Region | None = None) -> PreparedEdit | None:
    """Class ``old`` becomes ``new`` inside ``region`` (the whole map when None)."""
    if old == new:
        return None
    return prepare_paint(doc, tools.class_within(doc.labels, region, old), new, old=int(old))


def prepare_undo(doc: "LabelMapEdit") -> PreparedEdit | None:
    return _prepare_swap(doc, "undo", doc.history.next_undo())


def prepare_redo(doc: "LabelMapEdit") -> PreparedEdit | None:
    return _prepare_swap(doc, "redo", doc.history.next_redo())


def _prepare_swap(doc: "LabelMapEdit", kind: str, step: EditStep | None) -> PreparedEdit | None:
    if step is None:
        return None
    current = step.current(doc.labels)
    delta = np.zeros(doc.counts.size, np.int64)
    delta = _minus(delta, class_counts(current.reshape(-1), delta.size, chunk=COUNT_CHUNK))
    put = class_counts(step.values.reshape(-1), delta.size, chunk=COUNT_CHUNK)
    delta = _minus(delta, -put)
    return PreparedEdit(kind, step.box, doc.history.state, delta, step, current=current)


def _minus(total: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``total - counts``, longer when ``counts`` is (16-bit values past the count table)."""
    if counts.size > total.size:
        total = np.concatenate([total, np.zeros(counts.size - total.size, total.dtype)])
    total[: counts.size] -= counts
    return total
