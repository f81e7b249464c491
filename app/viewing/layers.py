"""The arrays the view draws over a photo, made where the result is made (the worker thread).

The GUI thread then only hands finished arrays to the image items: computing the
contours of a large label map there stalled the event loop (issue 18's GUI stall
benchmark). The fill needs nothing prepared: it draws the label array itself through a
lookup table; the legend's areas are the result's ``class_counts``.
"""

from __future__ import annotations

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


def prepare_layers(labels: np.ndarray, num_classes: int) -> PreparedLayers:
    """The contour layer of ``labels`` (H, W) for a table of ``num_classes`` classes."""
    height, width = labels.shape
    contours = contour_labels(labels, num_classes, contour_thickness(height, width))
    return PreparedLayers(num_classes, (height, width), contours)
