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
        self._labels: np.ndarray | None = None
        self._confidence_map: np.ndarray | None = None
        self._lut: np.ndarray | None = None
        self._built: set[str] = set()
        self._edges: np.ndarray | None = None  # the contour layer's array, updated in place by edits

    def set_photo(self, image: np.ndarray | None) -> None:
        if image is None:
            self.photo.clear()
        else:
            self.photo.setImage(image, autoLevels=False, levels=(0, 255))

    def set_result(self, labels: np.ndarray | None, confidence: np.ndarray | None,
                   lut: np.ndarray | None) -> None:
        """Draw the fill now; contours and confidence only when first shown (GUI-thread time)."""
        self._labels, self._confidence_map, self._lut = labels, confidence, lut
        self._built = set()
        for item in (self.fill, self.contour, self.confidence):
            item.clear()
            item.setVisible(False)
        if not self.overlays or labels is None or lut is None:
            self._num_classes = 0
            return
        self._num_classes = lut.shape[0] - 1

    def _ensure(self, layer: str) -> None:
        if layer in self._built or self._labels is None:
            return
        self._built.add(layer)
        levels = mask_levels(self._num_classes)
        if layer == "fill":
            self.fill.setImage(self._labels, autoLevels=False, levels=levels, lut=self._lut)
        elif layer == "contour":
            edges = contour_labels(self._labels, self._num_classes, contour_thickness(*self._labels.shape))
            self._edges = edges
            self.contour.setImage(edges, autoLevels=False, levels=levels, lut=self._lut)
        elif layer == "confidence" and self._confidence_map is not None:
            self.confidence.setImage(self._confidence_map, autoLevels=False, levels=(0.0, 1.0),
                                     lut=self._conf_lut)

    def labels(self) -> np.ndarray | None:
        """The label array the fill layer draws (the result's, or the threshold's hatched copy)."""
        return self._labels

    def swap_labels(self, labels: np.ndarray) -> None:
        """Draw ``labels`` instead, an array equal to the one drawn (an edit's own copy), so the
        contours stay valid and nothing is recomputed."""
        if self._labels is not None and labels.shape == self._labels.shape:
            self._labels = labels
            if "fill" in self._built:
                self.fill.updateImage(labels)

    def update_labels(self, box: tuple[int, int, int, int], source: np.ndarray | None = None) -> None:
        """Redraw the layers after the labels changed inside ``box`` (y0, y1, x0, x1).

        The fill draws the label array itself, so it only needs telling; the contours are
        recomputed for the box grown by their thickness, with as much context around it.
        ``source``: the edited labels when the pane draws a copy of them (the threshold's
        hatching); the box is copied over first."""
        labels = self._labels
        if labels is None:
            return
        y0, y1, x0, x1 = box
        if source is not None and source is not labels:
            labels[y0:y1, x0:x1] = source[y0:y1, x0:x1]
        if "fill" in self._built:
            self.fill.updateImage(labels)
        if "contour" in self._built and self._edges is not None:
            height, width = labels.shape
            thickness = contour_thickness(height, width)
            grow, context = thickness, 2 * thickness + 1
            a0, a1, b0, b1 = max(0, y0 - grow), min(height, y1 + grow), max(0, x0 - grow), min(width, x1 + grow)
            c0, c1, d0, d1 = (max(0, y0 - context), min(height, y1 + context),
                              max(0, x0 - context), min(width, x1 + context))
            edges = contour_labels(labels[c0:c1, d0:d1], self._num_classes, thickness)
            self._edges[a0:a1, b0:b1] = edges[a0 - c0:a1 - c0, b0 - d0:b1 - d0]
            self.contour.updateImage(self._edges)

    def set_lut(self, lut: np.ndarray) -> None:
        self._lut = lut
        if "fill" in self._built:
            self.fill.setLookupTable(lut)
        if "contour" in self._built:
            self.contour.setLookupTable(lut)

    def apply_style(self, mode: str, opacity: float, show_confidence: bool) -> None:
        """mode: 'fill' | 'contour' | 'both' | 'hidden'; opacity 0..1."""
        has = self.overlays and self._num_classes > 0
        wanted = {"fill": has and mode in ("fill", "both") and not show_confidence,
                  "confidence": has and show_confidence and mode != "hidden",
                  "contour": has and mode in ("contour", "both")}
        for layer, on in wanted.items():
            if on:
                self._ensure(layer)
        self.fill.setVisible(wanted["fill"])
        self.confidence.setVisible(wanted["confidence"])
        self.contour.setVisible(wanted["contour"])
        self.fill.setOpacity(opacity)
        self.confidence.setOpacity(opacity)
        # Contours alone follow the slider; drawn over a fill they stay solid to stay visible.
        self.contour.setOpacity(1.0 if mode == "both" else max(opacity, 0.0))

    def image_pixel(self, scene_pos) -> tuple[int, int] | None:  # noqa: ANN001 - QPointF
        if not self.view.sceneBoundingRect().contains(scene_pos):
            return None
        point = self.view.mapSceneToView(scene_pos)
        return int(np.floor(point.x())), int(np.floor(point.y()))


