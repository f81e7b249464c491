"""The arrays the view draws over a photo, made where the result is made (the worker thread).

The GUI thread then only hands finished arrays to the image items: computing the
contours of a large label map there stalled the event loop (issue 18's GUI stall
benchmark). The fill needs nothing prepared: it draws the label array itself through a
lookup table; the legend's areas are the result's ``class_counts``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from app.viewing.rendering import contour_labels, contour_thickness


@dataclass
class PreparedLayers:
    """Layers of one label map: valid only for that map and that class count."""

    num_classes: int
    shape: tuple[int, int]
    contours: np.ndarray  # contour_labels(labels, num_classes, contour_thickness(*shape))

    @property
    def nbytes(self) -> int:
        return int(self.contours.nbytes)

    def fits(self, labels: np.ndarray, num_classes: int) -> bool:
        return labels.shape == self.shape and num_classes == self.num_classes


BAND_ROWS = 512  # rows per band: a cancel is seen within one band (tens of ms for an 8000-pixel-wide photo)


def prepare_layers(labels: np.ndarray, num_classes: int,
                   cancel: threading.Event | None = None) -> PreparedLayers | None:
    """The contour layer of ``labels`` (H, W) for a table of ``num_classes`` classes.

    With ``cancel``, made band by band (each with ``thickness`` rows of its neighbours,
    so the contours are those of the whole map) and None once ``cancel`` is set."""
    height, width = labels.shape
    thickness = contour_thickness(height, width)
    if cancel is None:
        return PreparedLayers(num_classes, (height, width), contour_labels(labels, num_classes, thickness))
    bands = []
    for top in range(0, height, BAND_ROWS):
        if cancel.is_set():
            return None
        bottom = min(height, top + BAND_ROWS)
        above, below = min(top, thickness), min(height - bottom, thickness)
        band = contour_labels(labels[top - above:bottom + below], num_classes, thickness)
        bands.append(band[above:above + bottom - top])
    if cancel.is_set():
        return None
    contours = bands[0] if len(bands) == 1 else np.concatenate(bands)
    return PreparedLayers(num_classes, (height, width), contours)
