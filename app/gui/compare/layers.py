"""The comparison's layers over the photo: where A and B disagree, and B's labels drawn
instead of A's (the photo again over A's layers, B's fill over it at the opacity slider's
value, so it looks as A's fill would and the two colours never mix)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from app.gui.compare.dock import DIFFERENCE_RGB
from app.viewing.rendering import mask_levels, overlay_lut

OVERLAY_Z = 9  # over the photo and A's layers, under the inspector's map overlay (10)
B_FILL_Z = OVERLAY_Z - 0.5  # B's labels: over A's layers, under the disagreement
DIFFERENCE_LUT = np.array([[0, 0, 0, 0], [*DIFFERENCE_RGB, 190]], np.uint8)  # the photo shows through


class CompareLayers:
    """Three image items in a pane's view box; hidden until an answer of the image is drawn."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.overlay, self.b_photo, self.b_fill = pg.ImageItem(), pg.ImageItem(), pg.ImageItem()
        for z, layer in ((OVERLAY_Z, self.overlay), (B_FILL_Z - 0.1, self.b_photo), (B_FILL_Z, self.b_fill)):
            layer.setZValue(z)
            layer.setVisible(False)
            view.addItem(layer)

    def draw_disagreement(self, mask: np.ndarray) -> None:
        self.overlay.setImage(mask, autoLevels=False, levels=(0, 1), lut=DIFFERENCE_LUT)
        self.overlay.setRect(QRectF(0, 0, mask.shape[1], mask.shape[0]))

    def draw_b(self, photo: np.ndarray | None, labels_b: np.ndarray, palette: np.ndarray) -> None:
        """B's labels (classes ``palette``) over ``photo`` (the image on screen)."""
        height, width = labels_b.shape
        if photo is not None:
            if photo.dtype == np.uint8:
                self.b_photo.setLevels(None, update=False)  # as the view draws the photo (no rescale)
                self.b_photo.setImage(photo, autoLevels=False)
            else:
                self.b_photo.setImage(photo, autoLevels=False, levels=(0, 255))
            self.b_photo.setRect(QRectF(0, 0, width, height))
        self.b_fill.setImage(labels_b, autoLevels=False, levels=mask_levels(len(palette)), lut=overlay_lut(palette))
        self.b_fill.setRect(QRectF(0, 0, width, height))

    def show(self, differences: bool, b_labels: bool, opacity: float) -> None:
        self.overlay.setVisible(differences)
        self.b_photo.setVisible(b_labels)
        self.b_fill.setVisible(b_labels)
        self.b_fill.setOpacity(opacity)

    def clear(self) -> None:
        for layer in (self.overlay, self.b_photo, self.b_fill):
            layer.clear()
