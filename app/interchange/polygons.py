"""Label map -> polygons: one outer boundary per connected region of a class.

Regions are 4-connected pieces of one value. Each becomes the closed path
through the centres of its outer boundary pixels (Moore neighbour tracing,
as OpenCV's ``findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)`` reports them:
pixel indices, only the corners of straight runs kept). A filled polygon drawn
with its outline (PIL ``ImageDraw.polygon(fill, outline)``, labelme's own
rasteriser) covers exactly the region plus its holes.

Holes are not cut out: whatever fills a hole is another region, and the regions
come largest enclosed area first, so a reader that draws shapes in order (the
later one winning, as labelme and ultralytics' overlap masks do) paints the
holes' contents over the shape around them. Components are found from runs of
equal pixels per row, so the Python loops are over runs and boundary pixels,
never over every pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

# clockwise in image coordinates (y grows downwards): E, SE, S, SW, W, NW, N, NE
_STEPS = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
_STEP_INDEX = {step: i for i, step in enumerate(_STEPS)}


@dataclass(frozen=True)
class Region:
    value: int                       # the label value of the region
    points: list[tuple[int, int]]    # (x, y) pixel indices, closed implicitly
    enclosed_area: float             # shoelace area of the path (region + holes), for drawing order
    pixels: int                      # pixels of the region itself


def _row_runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, start, end, value) of every run of equal values, row by row (end exclusive)."""
    height, width = labels.shape
    change = np.ones((height, width), dtype=bool)
    change[:, 1:] = labels[:, 1:] != labels[:, :-1]
    rows, starts = np.nonzero(change)
    flat_starts = rows * width + starts
    ends_flat = np.append(flat_starts[1:], height * width)
    ends = np.where(np.append(rows[1:], height) != rows, width, ends_flat - rows * width)
    return rows, starts, ends, labels[rows, starts]


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def components(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """(H, W) int32 component ids (4-connected, same value) and their count.

    4-connected for every value: with 8-connected regions two classes could both
    pass through one diagonal pinch, and a region would then be inside and
    outside another's outline at once; 4-connected regions nest."""
    height, width = labels.shape
    rows, starts, ends, values = _row_runs(labels)
    n = len(rows)
    parent = list(range(n))
    row_first = np.searchsorted(rows, np.arange(height + 1))
    for y in range(height - 1):
        a, a_end = int(row_first[y]), int(row_first[y + 1])
        b, b_end = a_end, int(row_first[y + 2])
        while a < a_end and b < b_end:  # two pointers over runs of row y and y+1
            # 4-connected: [s1, e1) and [s2, e2) share a column if s2 < e1 and s1 < e2
            if starts[b] < ends[a] and starts[a] < ends[b] and values[a] == values[b]:
                ra, rb = _find(parent, a), _find(parent, b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            if ends[a] < ends[b]:
                a += 1
            else:
                b += 1
    roots = np.fromiter((_find(parent, i) for i in range(n)), dtype=np.int64, count=n)
    unique, ids = np.unique(roots, return_inverse=True)
    comp = np.repeat(ids.astype(np.int32), (ends - starts).astype(np.int64))
    return comp.reshape(height, width), len(unique)


def trace_outer(inside: Callable[[int, int], bool], start: tuple[int, int]) -> list[tuple[int, int]]:
    """Outer boundary pixels of the region holding ``start`` (its top-left pixel), clockwise.

    Moore neighbour tracing; it stops when it is back at the start about to take
    the first step again, which also closes paths that pass the start twice."""
    current = start
    backtrack = 4  # the pixel to the west of a top-left pixel is outside
    path = [start]
    first_move: int | None = None
    while True:
        for k in range(1, 9):
            direction = (backtrack + k) % 8
            dx, dy = _STEPS[direction]
            if inside(current[0] + dx, current[1] + dy):
                break
        else:
            return path  # a single pixel
        if current == start:
            if first_move is None:
                first_move = direction
            elif direction == first_move:
                return path[:-1]
        prev_dx, prev_dy = _STEPS[(direction - 1) % 8]
        nxt = (current[0] + dx, current[1] + dy)
        backtrack = _STEP_INDEX[(current[0] + prev_dx - nxt[0], current[1] + prev_dy - nxt[1])]
        current = nxt
        path.append(current)


def simplify(path: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Keep only the points where the path changes direction (CHAIN_APPROX_SIMPLE)."""
    n = len(path)
    if n < 3:
        return list(path)
    kept = []
    for i in range(n):
        px, py = path[i - 1]
        x, y = path[i]
        nx, ny = path[(i + 1) % n]
        if (x - px, y - py) != (nx - x, ny - y):
            kept.append(path[i])
    return kept or [path[0]]


def shoelace_area(points: list[tuple[int, int]]) -> float:
    if len(points) < 3:
        return 0.0
    xs = np.array([p[0] for p in points], dtype=np.float64)
    ys = np.array([p[1] for p in points], dtype=np.float64)
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2.0)


def label_regions(labels: np.ndarray, skip: frozenset[int] = frozenset()) -> list[Region]:
    """Every region of ``labels`` (values in ``skip`` left out), in drawing order:
    largest enclosed area first, so regions inside another's holes come after it."""
    comp, count = components(labels)
    height, width = labels.shape
    flat = comp.ravel()
    first = np.full(count, -1, dtype=np.int64)
    order = np.arange(flat.size - 1, -1, -1)  # reversed, so the smallest index wins below
    first[flat[order]] = order
    sizes = np.bincount(flat, minlength=count)
    regions: list[Region] = []
    for cid in range(count):
        y, x = divmod(int(first[cid]), width)
        value = int(labels[y, x])
        if value in skip:
            continue

        def inside(px: int, py: int, cid: int = cid) -> bool:
            return 0 <= px < width and 0 <= py < height and comp[py, px] == cid

        points = simplify(trace_outer(inside, (x, y)))
        regions.append(Region(value, points, shoelace_area(points), int(sizes[cid])))
    regions.sort(key=lambda r: (-r.enclosed_area, -r.pixels))
    return regions


def closed_points(points: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """At least three points, as polygon readers require (a pixel or a two-pixel line repeats)."""
    pts = list(points)
    while len(pts) < 3:
        pts.append(pts[-1] if len(pts) == 1 else pts[0])
    return pts
