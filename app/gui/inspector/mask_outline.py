"""The outline of a boolean mask as a QPainterPath in photo coordinates (for dashed overlays).

The receptive field of a region is bounded by a union of boxes, not one box; its outer
contours (OpenCV's, through the centres of the border pixels) are drawn instead.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QPainterPath


def mask_path(mask: np.ndarray, rect: tuple[float, float, float, float]) -> QPainterPath | None:
    """The outer contours of ``mask`` (h, w) stretched over ``rect`` (x, y, width, height); None if empty."""
    import cv2

    height, width = mask.shape
    contours, _ = cv2.findContours(np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    x, y, w, h = rect
    sx, sy = w / width, h / height
    path = QPainterPath()
    for contour in contours:
        points = contour[:, 0, :].astype(np.float64)
        px, py = x + (points[:, 0] + 0.5) * sx, y + (points[:, 1] + 0.5) * sy
        path.moveTo(px[0], py[0])
        for u, v in zip(px[1:], py[1:]):
            path.lineTo(u, v)
        path.closeSubpath()
    return path


def region_mask_path(mask: np.ndarray, box: tuple[int, int, int, int]) -> QPainterPath | None:
    """A region's outline (its ``mask`` covering ``box`` = y0, y1, x0, x1 in photo pixels)."""
    y0, y1, x0, x1 = box
    return mask_path(mask, (float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
