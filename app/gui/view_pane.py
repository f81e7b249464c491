"""One image pane: a ViewBox holding the photo and the layers drawn over it."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtGui import QImage

from app.viewing.layers import PreparedLayers
from app.viewing.rendering import contour_labels, contour_thickness, mask_levels


def confidence_lut() -> np.ndarray:
    return pg.colormap.get("inferno").getLookupTable(0.0, 1.0, 256, alpha=False)


CONTOUR_BAND_PIXELS = 1 << 20  # contours of at most this many pixels per event-loop turn (~20 ms)


def _refresh_box(item: pg.ImageItem, array: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Show ``array``'s changes inside ``box`` in ``item``, repainting that box only.

    An 8-bit map drawn through a lookup table becomes an indexed QImage over the
    array's own memory (pyqtgraph makes no copy), so the changed pixels are already in
    it: asking for a repaint of the box is enough, and the view repaints only there.
    Otherwise (16-bit maps, a copy) the item renders again."""
    qimage = item.qimage
    shared = (qimage is not None and not getattr(item, "_renderRequired", True) and array.dtype == np.uint8
              and qimage.format() == QImage.Format.Format_Indexed8 and array.flags.c_contiguous
              and np.frombuffer(qimage.constBits(), np.uint8, count=1).ctypes.data == array.ctypes.data)
    if not shared:
        item.updateImage(array)
        return
    y0, y1, x0, x1 = box
    item.update(QRectF(x0, y0, x1 - x0, y1 - y0))


class ImagePane:
    """Photo + class fill + contour + confidence, each an ImageItem in one ViewBox.

    The fill and contour layers draw the label array through a lookup table with
    fixed levels (see app.viewing.rendering), so opacity, class visibility and
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
        self._photo_shape: tuple[int, ...] | None = None  # (H, W): the layers are stretched over it
        self._built: set[str] = set()
        self._edges: np.ndarray | None = None  # the contour layer's array, updated in place by edits
        self._layers: PreparedLayers | None = None  # the worker's contours for the labels drawn
        self._edges_shared = False  # _edges is the worker's (cached) array: copied before an edit
        self._contour_todo: list[tuple[int, int, int, int]] = []  # bands still to redraw after an edit
        self._contour_timer = QTimer()
        self._contour_timer.setInterval(0)
        self._contour_timer.timeout.connect(self._next_contour_band)

    def set_photo(self, image: np.ndarray | None) -> None:
        self._photo_shape = None if image is None else image.shape[:2]
        if image is None:
            self.photo.clear()
        elif image.dtype == np.uint8:
            # No levels: an 8-bit photo goes to a QImage as it is. Levels of (0, 255) made
            # pyqtgraph rescale every pixel in floating point at each render (tens of ms).
            self.photo.setLevels(None, update=False)
            self.photo.setImage(image, autoLevels=False)
        else:
            self.photo.setImage(image, autoLevels=False, levels=(0, 255))

    def set_result(self, labels: np.ndarray | None, confidence: np.ndarray | None,
                   lut: np.ndarray | None, layers: PreparedLayers | None = None) -> None:
        """Draw the fill now; contours and confidence only when first shown (GUI-thread time).
        ``layers``: the contours the worker made for ``labels``, used when they fit."""
        self._labels, self._confidence_map, self._lut, self._layers = labels, confidence, lut, layers
        self._built = set()
        self._contour_todo.clear()
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
            layers = self._layers
            self._edges_shared = layers is not None and layers.fits(self._labels, self._num_classes)
            if layers is not None and self._edges_shared:
                edges = layers.contours
            else:
                edges = contour_labels(self._labels, self._num_classes, contour_thickness(*self._labels.shape))
            self._edges = edges
            self.contour.setImage(edges, autoLevels=False, levels=levels, lut=self._lut)
        elif layer == "confidence" and self._confidence_map is not None:
            self.confidence.setImage(self._confidence_map, autoLevels=False, levels=(0.0, 1.0),
                                     lut=self._conf_lut)
        else:
            return
        self._cover_photo({"fill": self.fill, "contour": self.contour, "confidence": self.confidence}[layer])

    def _cover_photo(self, item: pg.ImageItem) -> None:
        """Stretch ``item`` over the photo: labels smaller than the photo (a big photo's quick
        preview) are drawn scaled up; labels of the photo's size keep a scale of 1."""
        if self._photo_shape is not None:
            height, width = self._photo_shape[:2]
            item.setRect(QRectF(0, 0, width, height))

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
            _refresh_box(self.fill, labels, box)
        if "contour" in self._built and self._edges is not None:
            if self._edges_shared:  # the worker's array is also the cache's: edit a copy
                self._edges, self._edges_shared = self._edges.copy(), False
                self.contour.setImage(self._edges, autoLevels=False, levels=mask_levels(self._num_classes),
                                      lut=self._lut)
            band = max(1, CONTOUR_BAND_PIXELS // max(1, x1 - x0))
            for top in range(y0, y1, band):  # a large change is redrawn a band per event-loop turn
                self._contour_todo.append((top, min(y1, top + band), x0, x1))
            if len(self._contour_todo) == 1 and (y1 - y0) * (x1 - x0) <= CONTOUR_BAND_PIXELS:
                self._next_contour_band()  # a brush segment: at once
            elif not self._contour_timer.isActive():
                self._contour_timer.start()

    def _next_contour_band(self) -> None:
        """Recompute the contours of one queued band: the band grown by their thickness,
        with as much context again around it, so the band's edges come out exact."""
        if not self._contour_todo or self._labels is None or self._edges is None:
            self._contour_todo.clear()
            self._contour_timer.stop()
            return
        y0, y1, x0, x1 = self._contour_todo.pop(0)
        labels = self._labels
        height, width = labels.shape
        thickness = contour_thickness(height, width)
        grow, context = thickness, 2 * thickness + 1
        a0, a1, b0, b1 = max(0, y0 - grow), min(height, y1 + grow), max(0, x0 - grow), min(width, x1 + grow)
        c0, c1, d0, d1 = (max(0, y0 - context), min(height, y1 + context),
                          max(0, x0 - context), min(width, x1 + context))
        edges = contour_labels(labels[c0:c1, d0:d1], self._num_classes, thickness)
        self._edges[a0:a1, b0:b1] = edges[a0 - c0:a1 - c0, b0 - d0:b1 - d0]
        _refresh_box(self.contour, self._edges, (a0, a1, b0, b1))
        if not self._contour_todo:
            self._contour_timer.stop()

    def finish_contours(self) -> None:
        """Do the queued contour bands now (tests, before reading the contour layer)."""
        while self._contour_todo:
            self._next_contour_band()

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


