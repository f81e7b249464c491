"""Turning labels into what the view draws: lookup tables and contours (numpy only).

The mask layer draws the label array itself through a lookup table with fixed
levels, so showing/hiding/highlighting a class only rebuilds a (C+1, 4) table,
never the image. Index C is the "nothing here" entry (fully transparent), used
by the contour layer for pixels off a boundary.
"""

from __future__ import annotations

import numpy as np

HIGHLIGHT_DIM_ALPHA = 40  # other classes stay faintly visible while one is highlighted


def overlay_lut(palette: np.ndarray, visible: np.ndarray | None = None,
                highlight: int | None = None) -> np.ndarray:
    """(C+1, 4) uint8 RGBA table for class indices 0..C-1 plus a transparent index C."""
    count = int(palette.shape[0])
    lut = np.zeros((count + 1, 4), dtype=np.uint8)
    lut[:count, :3] = palette[:, :3]
    lut[:count, 3] = 255
    if visible is not None:
        lut[:count, 3] = np.where(np.asarray(visible, dtype=bool)[:count], lut[:count, 3], 0)
    if highlight is not None and 0 <= highlight < count:
        dim = lut[:count, 3] > 0
        lut[:count, 3] = np.where(dim, HIGHLIGHT_DIM_ALPHA, 0)
        lut[highlight, 3] = 255
    return lut


def mask_levels(num_classes: int) -> tuple[int, int]:
    """Levels that make the image item index the lookup table by class id exactly."""
    return 0, num_classes + 1


def boundary_mask(labels: np.ndarray, thickness: int = 1) -> np.ndarray:
    """True on pixels whose class differs from a 4-neighbour, grown to ``thickness``."""
    edge = np.zeros(labels.shape, dtype=bool)
    horizontal = labels[:, 1:] != labels[:, :-1]
    vertical = labels[1:, :] != labels[:-1, :]
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    edge[1:, :] |= vertical
    edge[:-1, :] |= vertical
    for _ in range(max(0, thickness - 1)):
        grown = edge.copy()
        grown[1:, :] |= edge[:-1, :]
        grown[:-1, :] |= edge[1:, :]
        grown[:, 1:] |= edge[:, :-1]
        grown[:, :-1] |= edge[:, 1:]
        edge = grown
    return edge


def contour_labels(labels: np.ndarray, num_classes: int, thickness: int = 1) -> np.ndarray:
    """The label map with every non-boundary pixel set to the transparent index."""
    dtype = np.uint8 if num_classes < 255 else np.uint16
    # np.where, not a masked write: a boolean-mask assignment holds the GIL throughout, and
    # this runs in the worker while the GUI thread paints (see worker.GIL_SWITCH_S)
    return np.where(boundary_mask(labels, thickness), labels.astype(dtype, copy=False), dtype(num_classes))


def contour_thickness(height: int, width: int) -> int:
    """About 1 screen pixel when a large photo is fitted to a window of ~1000 pixels."""
    return max(1, round(max(height, width) / 900))


# --- the confidence threshold: uncertain pixels drawn hatched ------------------------------
# With a threshold on, the table grows to (C+2, 4): index C is the hatch colour and index C+1
# the transparent entry (so contour_labels' "nothing here" index, num_classes, stays transparent
# when the pane is given C+1 as its class count).
HATCH_RGBA = (255, 255, 255, 150)


def hatched_lut(lut: np.ndarray) -> np.ndarray:
    """``overlay_lut``'s (C+1, 4) table with a hatch entry inserted before the transparent one."""
    return np.concatenate([lut[:-1], np.array([HATCH_RGBA], np.uint8), lut[-1:]], axis=0)


def hatch_period(height: int, width: int) -> int:
    """Stripe spacing in image pixels: about 9 screen pixels for a photo fitted to ~1000 pixels."""
    return max(3, 3 * round(max(height, width) / 300))


def hatched_labels(labels: np.ndarray, below: np.ndarray, num_classes: int,
                   period: int | None = None) -> np.ndarray:
    """The labels to draw: pixels under the threshold become diagonal stripes of index
    ``num_classes`` (hatch) on index ``num_classes + 1`` (transparent); the rest unchanged."""
    height, width = labels.shape
    period = period or hatch_period(height, width)
    dtype = np.uint8 if num_classes + 1 <= 255 else np.uint16
    base = (np.arange(width + period) % period) < max(1, period // 3)
    rows = np.stack([base[offset:offset + width] for offset in range(period)])  # (period, W)
    hatch = np.where(rows, num_classes, num_classes + 1).astype(dtype)[np.arange(height) % period]  # (H, W)
    return np.where(below, hatch, labels.astype(dtype, copy=False))  # np.where: no slow masked writes
