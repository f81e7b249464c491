"""One image pane: a ViewBox holding the photo and the layers drawn over it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.gui.rendering import contour_labels, contour_thickness, mask_levels


def confidence_lut() -> np.ndarray:
    return pg.colormap.get("inferno").getLookupTable(0.0, 1.0, 256, alpha=False)


class ImagePane:
    """Photo + class fill + contour + confidence, each an ImageItem in one ViewBox.

    The fill and contour layers draw the label array through a lookup table with
    fixed levels (see app.gui.rendering), so opacity, class visibility and
    highlighting never recompute the image.
    """

    def __init__(self, overlays: bool) -> None:
        self.overlays = overlays
        self.view = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.view.setBackgroundColor(None)
        self.photo = pg.ImageItem()
        self.fill = pg.ImageItem()
        self.contour = pg.ImageItem()
        self.confidence = pg.ImageItem()
        for z, item in enumerate((self.photo, self.fill, self.confidence, self.contour)):
            item.setZValue(z)
            self.view.addItem(item)
        self.fill.setVisible(False)
        self.contour.setVisible(False)
        self.confidence.setVisible(False)
        self._num_classes = 0
        self._conf_lut = confidence_lut()

    def set_photo(self, image: np.ndarray | None) -> None:
        if image is None:
            self.photo.clear()
        else:
            self.photo.setImage(image, autoLevels=False, levels=(0, 255))

    def set_result(self, labels: np.ndarray | None, confidence: np.ndarray | None,
                   lut: np.ndarray | None) -> None:
        if not self.overlays or labels is None or lut is None:
            for item in (self.fill, self.contour, self.confidence):
                item.clear()
                item.setVisible(False)
            self._num_classes = 0
            return
        self._num_classes = lut.shape[0] - 1
        levels = mask_levels(self._num_classes)
        self.fill.setImage(labels, autoLevels=False, levels=levels, lut=lut)
        edges = contour_labels(labels, self._num_classes, contour_thickness(*labels.shape))
        self.contour.setImage(edges, autoLevels=False, levels=levels, lut=lut)
        if confidence is not None:
            self.confidence.setImage(confidence, autoLevels=False, levels=(0.0, 1.0), lut=self._conf_lut)

    def set_lut(self, lut: np.ndarray) -> None:
        if self._num_classes:
            self.fill.setLookupTable(lut)
            self.contour.setLookupTable(lut)

    def apply_style(self, mode: str, opacity: float, show_confidence: bool) -> None:
        """mode: 'fill' | 'contour' | 'both' | 'hidden'; opacity 0..1."""
        has = self.overlays and self._num_classes > 0
        self.fill.setVisible(has and mode in ("fill", "both") and not show_confidence)
        self.confidence.setVisible(has and show_confidence and mode != "hidden")
        self.contour.setVisible(has and mode in ("contour", "both"))
        self.fill.setOpacity(opacity)
        self.confidence.setOpacity(opacity)
        # Contours alone follow the slider; drawn over a fill they stay solid to stay visible.
        self.contour.setOpacity(1.0 if mode == "both" else max(opacity, 0.0))

    def image_pixel(self, scene_pos) -> tuple[int, int] | None:  # noqa: ANN001 - QPointF
        if not self.view.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.view.mapSceneToView(scene_pos)
        return int(np.floor(point.x())), int(np.floor(point.y()))


