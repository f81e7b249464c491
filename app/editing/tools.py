"""The regions the edit tools change, as plain array functions (no Qt, no canvas).

Each function returns a ``Region``: a bounding box in map pixels and a boolean mask
of that box's shape, or None when the tool touches no pixel. Applying a region with
a class value is the edit model's job (app.editing.label_map_edit).

Coordinates: ``x`` is the column and ``y`` the row; a pixel's centre is at
(x + 0.5, y + 0.5), as in the image view.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

from app.editing.undo import Box

BAND_ROWS = 256  # the flood fill finds the runs of this many rows at a time
RUNS_PER_LOOP = 256  # below one run per this many box pixels, runs are set in a loop, else by cumsum


@dataclass(frozen=True)
class Region:
    box: Box               # y0, y1, x0, x1 (half-open)
    mask: np.ndarray       # bool, (y1 - y0, x1 - x0)

    @property
    def pixels(self) -> int:
        return int(np.count_nonzero(self.mask))


def clip_box(shape: tuple[int, int], y0: int, y1: int, x0: int, x1: int) -> Box | None:
    height, width = shape
    y0, y1, x0, x1 = max(0, y0), min(height, y1), max(0, x0), min(width, x1)
    return (y0, y1, x0, x1) if y0 < y1 and x0 < x1 else None


def brush_region(shape: tuple[int, int], start: tuple[float, float], end: tuple[float, float],
                 size: int) -> Region | None:
    """Pixels whose centre lies within ``size / 2`` of the segment start-end (a round brush).

    A size of 1 paints the pixel under the point; the segment makes a drag paint a
    continuous stroke however fast the pointer moved.
    """
    radius = max(0.5, size / 2.0)
    (ax, ay), (bx, by) = start, end
    box = clip_box(shape, int(np.floor(min(ay, by) - radius)), int(np.ceil(max(ay, by) + radius)) + 1,
                   int(np.floor(min(ax, bx) - radius)), int(np.ceil(max(ax, bx) + radius)) + 1)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 > 0:  # nearest point of the segment to each pixel centre
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / length2, 0.0, 1.0)
        px, py = ax + t * dx, ay + t * dy
    else:
        px, py = np.full_like(xs, ax), np.full_like(ys, ay)
    mask = (xs - px) ** 2 + (ys - py) ** 2 <= radius * radius
    if size <= 1:  # the pixel under the pointer, even when the centre is just outside
        mask |= (np.floor(ys) == np.floor(py)) & (np.floor(xs) == np.floor(px))
    return _tight(box, mask)


def polygon_region(shape: tuple[int, int], points: Sequence[tuple[float, float]]) -> Region | None:
    """The inside of a polygon (x, y vertices in map pixels), rasterised on its bounding box."""
    if len(points) < 3:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    box = clip_box(shape, int(np.floor(min(ys))), int(np.ceil(max(ys))) + 1,
                   int(np.floor(min(xs))), int(np.ceil(max(xs))) + 1)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    canvas = Image.new("1", (x1 - x0, y1 - y0), 0)
    # PIL draws a pixel when its centre is inside; shift so that centres sit at +0.5.
    ImageDraw.Draw(canvas).polygon([(x - x0 - 0.5, y - y0 - 0.5) for x, y in points], fill=1, outline=1)
    return _tight(box, np.array(canvas, dtype=bool))


def rectangle_region(shape: tuple[int, int], corner: tuple[float, float],
                     opposite: tuple[float, float]) -> Region | None:
    """Every pixel touched by the rectangle between two corners."""
    (ax, ay), (bx, by) = corner, opposite
    box = clip_box(shape, int(np.floor(min(ay, by))), int(np.floor(max(ay, by))) + 1,
                   int(np.floor(min(ax, bx))), int(np.floor(max(ax, bx))) + 1)
    if box is None:
        return None
    return Region(box, np.ones((box[1] - box[0], box[3] - box[2]), dtype=bool))


def whole_region(shape: tuple[int, int]) -> Region:
    return Region((0, shape[0], 0, shape[1]), np.ones(shape, dtype=bool))


def class_within(labels: np.ndarray, region: Region | None, value: int) -> Region | None:
    """The pixels of ``region`` (None: the whole map) whose class is ``value`` (for "replace A by B")."""
    if region is None:  # one pass over the map, no all-True mask
        return _tight((0, labels.shape[0], 0, labels.shape[1]), labels == value)
    y0, y1, x0, x1 = region.box
    return _tight(region.box, region.mask & (labels[y0:y1, x0:x1] == value))


def paintable(labels: np.ndarray, region: Region | None, over: int | None) -> Region | None:
    """The pixels of ``region`` a tool may change when it paints only over ``over`` (a class
    or ignore; None: over any value), as napari's "preserve labels" does for its background."""
    if region is None or over is None:
        return region
    return class_within(labels, region, over)


def flood_region(labels: np.ndarray, x: int, y: int) -> Region | None:
    """The 4-connected region of ``labels[y, x]``'s class that holds (x, y).

    A breadth-first search over horizontal runs: the runs of equal pixels are found
    with numpy a band of rows at a time (only the bands the region reaches), and the
    search visits runs, not pixels, so a large smooth region costs about one step per
    row it spans.
    """
    height, width = labels.shape
    if not (0 <= y < height and 0 <= x < width):
        return None
    runs = _RunTable(labels, labels[y, x])
    starts, ends = runs.row(y)
    seed = bisect_right(starts, x) - 1
    found: list[tuple[int, int, int]] = []   # (row, start, end)
    seen = {(y, seed)}
    todo = [(y, seed)]
    while todo:
        row, index = todo.pop()
        start, end = runs.row(row)[0][index], runs.row(row)[1][index]
        found.append((row, start, end))
        for near in (row - 1, row + 1):
            if 0 <= near < height:
                near_starts, near_ends = runs.row(near)
                # runs [s, e) of the next row that share a column with [start, end)
                for i in range(bisect_right(near_ends, start), bisect_left(near_starts, end)):
                    if (near, i) not in seen:
                        seen.add((near, i))
                        todo.append((near, i))
    return _mask_from_runs(found)


class _RunTable:
    """Runs [start, end) of pixels equal to ``value``, per row, computed a band at a time."""

    def __init__(self, labels: np.ndarray, value: int) -> None:
        self.labels, self.value = labels, value
        self.rows: dict[int, tuple[list[int], list[int]]] = {}

    def row(self, y: int) -> tuple[list[int], list[int]]:
        if y not in self.rows:
            self._band(y - y % BAND_ROWS)
        return self.rows[y]

    def _band(self, top: int) -> None:
        bottom = min(top + BAND_ROWS, self.labels.shape[0])
        padded = np.zeros((bottom - top, self.labels.shape[1] + 2), dtype=bool)
        np.equal(self.labels[top:bottom], self.value, out=padded[:, 1:-1])
        # Every row starts and ends outside a run, so its changes alternate start, end, ...
        change_rows, change_cols = np.nonzero(padded[:, 1:] != padded[:, :-1])
        start_rows = change_rows[0::2]
        cuts = np.searchsorted(start_rows, np.arange(bottom - top + 1))
        starts, ends = change_cols[0::2].tolist(), change_cols[1::2].tolist()
        for i in range(bottom - top):
            a, b = cuts[i], cuts[i + 1]
            self.rows[top + i] = (starts[a:b], ends[a:b])


def _mask_from_runs(found: list[tuple[int, int, int]]) -> Region:
    rows = np.array([r for r, _, _ in found], dtype=np.int64)
    starts = np.array([s for _, s, _ in found], dtype=np.int64)
    ends = np.array([e for _, _, e in found], dtype=np.int64)
    y0, y1, x0, x1 = int(rows.min()), int(rows.max()) + 1, int(starts.min()), int(ends.max())
    if len(found) * RUNS_PER_LOOP < (y1 - y0) * (x1 - x0):  # few long runs: set them one by one
        mask = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        for row, start, end in found:
            mask[row - y0, start - x0:end - x0] = True
        return Region((y0, y1, x0, x1), mask)
    # +1 at each run's start, -1 at its end, then a running sum along the row
    marks = np.zeros((y1 - y0, x1 - x0 + 1), dtype=np.int8)
    marks[rows - y0, starts - x0] += 1
    marks[rows - y0, ends - x0] -= 1
    mask = np.cumsum(marks[:, :-1], axis=1, dtype=np.int8) > 0
    return Region((y0, y1, x0, x1), mask)


def _tight(box: Box, mask: np.ndarray) -> Region | None:
    """Shrink a region to the bounding box of its True pixels (None when there are none)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    y0, _, x0, _ = box
    return Region((y0 + r0, y0 + r1, x0 + c0, x0 + c1), mask[r0:r1, c0:c1])
