"""A map over the photo: ViewBox + photo ImageItem + map ImageItem + histogram/levels.

Everything is drawn in photo coordinates (pixel (x, y) covers [x, x+1) x [y, y+1)),
so a bin x bin grid, a feature map and the photo line up; the map's rect comes from
``CaptureGeometry.feature_rect``. Clicks are reported in photo pixels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QWidget

from app.gui.inspector._pg import pg

SEQUENTIAL = "viridis"
DIVERGING = "CET-D1A"  # blue - white - red, for signed contributions
PHOTO_MAX_SIDE = 1600  # the photo under a map is shown downsampled beyond this


def colormap(name: str, stops: int = 16) -> pg.ColorMap:
    """A named colormap resampled to a few stops.

    pyqtgraph's maps carry 256 stops, and the histogram's gradient editor paints one
    tick per stop on every repaint (about 20 ms per frame here); 16 stops look the same.
    """
    try:
        full = pg.colormap.get(name)
    except Exception:  # noqa: BLE001 - a pyqtgraph without that map: fall back to viridis
        full = pg.colormap.get(SEQUENTIAL)
    pos = np.linspace(0.0, 1.0, stops)
    return pg.ColorMap(pos, full.map(pos, mode="byte"))


def box_pixels(rect: QRectF, image_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the image pixels a dragged box (in image coordinates) spans, clipped."""
    height, width = image_size
    x0, x1 = (int(np.clip(np.floor(v), 0, width - 1)) for v in (rect.left(), rect.right()))
    y0, y1 = (int(np.clip(np.floor(v), 0, height - 1)) for v in (rect.top(), rect.bottom()))
    return x0, y0, x1, y1


class SelectViewBox(pg.ViewBox):
    """A ViewBox whose left-button drag draws a box (in box mode) instead of panning."""

    def __init__(self, on_box, **kwargs) -> None:  # noqa: ANN001 - on_box(QRectF) in view coords
        super().__init__(**kwargs)
        self.box_mode = False
        self._on_box = on_box
        self.band = QGraphicsRectItem()
        pen = QPen(QColor("#ffd54f"))
        pen.setCosmetic(True)
        pen.setWidth(2)
        self.band.setPen(pen)
        self.band.setZValue(4)
        self.band.hide()
        self.addItem(self.band, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: ANN001 - a pyqtgraph drag event
        if not self.box_mode or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        start = self.mapSceneToView(ev.buttonDownScenePos())
        end = self.mapSceneToView(ev.scenePos())
        rect = QRectF(start, end).normalized()
        self.band.setRect(rect)
        self.band.show()
        if ev.isFinish():
            self._on_box(rect)


class MapView(QWidget):
    """One map with the photo beneath it, a clicked-pixel marker and (optionally) a histogram."""

    clicked = Signal(int, int)  # photo pixel
    boxSelected = Signal(int, int, int, int)  # x0, y0, x1, y1 photo pixels (corners included), box mode

    def __init__(self, histogram: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("#202124")
        self.view = SelectViewBox(self._box_dragged, lockAspect=True, invertY=True)
        self.graphics.addItem(self.view)
        self.graphics.ci.setContentsMargins(2, 2, 2, 2)  # the map, not a frame, gets a docked tab's few pixels
        self.photo = pg.ImageItem()
        self.image = pg.ImageItem()
        self.image.setZValue(1)
        self.marker = pg.ScatterPlotItem(size=14, symbol="+", pen=pg.mkPen("w", width=2),
                                         brush=None)
        self.marker.setZValue(3)
        self.region = pg.ImageItem()  # the selected region, tinted (RGBA at the photo's size)
        self.region.setZValue(2)
        for item in (self.photo, self.image, self.region, self.marker):
            self.view.addItem(item)
        self.histogram = pg.HistogramLUTWidget(image=self.image) if histogram else None
        if self.histogram is not None:
            self.histogram.gradient.showTicks(False)
            self.histogram.setMinimumWidth(90)  # narrow: in a docked tab the map needs the width
            self.histogram.setMaximumWidth(120)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.graphics, 1)
        if self.histogram is not None:
            layout.addWidget(self.histogram)
        self.graphics.scene().sigMouseClicked.connect(self._on_click)
        self._image_size: tuple[int, int] | None = None
        self._values: np.ndarray | None = None
        self.histogram_wanted = True
        self.set_colormap(SEQUENTIAL)

    # --- content ----------------------------------------------------------------------
    def set_photo(self, photo: np.ndarray | None) -> None:
        """The photo in photo coordinates (downsampled for display when it is large)."""
        if photo is None:
            self.photo.clear()
            self._image_size = None
            return
        height, width = photo.shape[:2]
        step = max(1, int(np.ceil(max(height, width) / PHOTO_MAX_SIDE)))
        self.photo.setImage(np.ascontiguousarray(photo[::step, ::step]), autoLevels=False, levels=(0, 255))
        self.photo.setRect(QRectF(0, 0, width, height))
        first = self._image_size != (height, width)
        self._image_size = (height, width)
        if first:
            self.view.setRange(QRectF(0, 0, width, height), padding=0.02)

    def set_histogram_visible(self, on: bool) -> None:
        """Fold the histogram/levels widget away (a narrow dock) or show it again."""
        self.histogram_wanted = on
        if self.histogram is not None:
            self.histogram.setVisible(on and (self._values is None or self._values.ndim == 2))

    def show_photo(self, visible: bool) -> None:
        self.photo.setVisible(visible)

    def set_map(self, values: np.ndarray | None, rect: tuple[float, float, float, float],
                levels: tuple[float, float] | None = None) -> None:
        """A scalar (H, W) map through the colormap, or an (H, W, 3|4) image shown as is."""
        self._values = values
        if values is None:
            self.image.clear()
            return
        if self.histogram is not None:
            self.histogram.setVisible(values.ndim == 2 and self.histogram_wanted)  # levels mean nothing for RGB
        if values.ndim == 3:
            self.image.setImage(values, autoLevels=False, levels=(0, 1) if values.dtype.kind == "f"
                                else (0, 255))
        else:
            if levels is None:
                levels = robust_levels(values)
            self.image.setImage(values, autoLevels=False, levels=levels)
            if self.histogram is not None:
                self.histogram.setLevels(*levels)
        self.image.setRect(QRectF(*rect))

    def set_colormap(self, name: str) -> None:
        cmap = colormap(name)
        self._cmap = cmap
        if self.histogram is not None:
            self.histogram.gradient.setColorMap(cmap)
        else:
            self.image.setColorMap(cmap)

    def set_opacity(self, opacity: float) -> None:
        self.image.setOpacity(float(opacity))

    def set_marker(self, x: float | None, y: float | None) -> None:
        self.marker.setData([] if x is None else [x + 0.5], [] if y is None else [y + 0.5])

    def set_box_mode(self, on: bool) -> None:
        """Left-drag draws a box (``boxSelected``) instead of panning; a click still clicks."""
        self.view.box_mode = on
        if not on:
            self.view.band.hide()

    def set_region(self, mask: np.ndarray | None, box: tuple[int, int, int, int] | None = None) -> None:
        """Show a selected region: ``mask`` (bool) covering ``box`` = (y0, y1, x0, x1) in photo pixels.

        Everything outside the region is dimmed (a tint over a diverging map would change
        its colours) and the region's bounding box is outlined.
        """
        if mask is None or box is None or self._image_size is None:
            self.region.clear()
            self.view.band.hide()
            return
        height, width = self._image_size
        y0, y1, x0, x1 = box
        step = max(1, int(np.ceil(max(height, width) / PHOTO_MAX_SIDE)))
        inside = np.zeros((height, width), dtype=bool)
        inside[y0:y1, x0:x1] = mask
        rgba = np.zeros((*inside[::step, ::step].shape, 4), dtype=np.uint8)
        rgba[..., 3] = np.where(inside[::step, ::step], 0, 150)
        self.region.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.region.setRect(QRectF(0, 0, width, height))
        self.view.band.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        self.view.band.show()

    def clear(self) -> None:
        self.set_map(None, (0, 0, 1, 1))
        self.set_photo(None)
        self.set_marker(None, None)
        self.set_region(None)

    # --- what is shown, for export and the main view --------------------------------
    def levels(self) -> tuple[float, float]:
        lo, hi = self.image.getLevels() if self.image.getLevels() is not None else (0.0, 1.0)
        return float(np.min(lo)), float(np.max(hi))

    def lookup_table(self) -> np.ndarray:
        """(256, 3|4) uint8 of the colormap currently shown."""
        if self.histogram is not None:
            return self.histogram.gradient.colorMap().getLookupTable(nPts=256, alpha=False)
        return self._cmap.getLookupTable(nPts=256, alpha=False)

    @property
    def values(self) -> np.ndarray | None:
        return self._values

    # --- interaction ------------------------------------------------------------------
    def _box_dragged(self, rect: QRectF) -> None:
        if self._image_size is None:
            return
        self.boxSelected.emit(*box_pixels(rect, self._image_size))

    def _on_click(self, event) -> None:  # noqa: ANN001 - a pyqtgraph mouse event
        if event.button() != Qt.MouseButton.LeftButton or self._image_size is None:
            return
        point: QPointF = self.view.mapSceneToView(event.scenePos())
        x, y = int(np.floor(point.x())), int(np.floor(point.y()))
        height, width = self._image_size
        if 0 <= x < width and 0 <= y < height:
            self.clicked.emit(x, y)


def robust_levels(values: np.ndarray, symmetric: bool = False) -> tuple[float, float]:
    """Levels from the 0.5th-99.5th percentiles; symmetric around 0 for signed maps."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (0.0, 1.0)
    if symmetric:
        bound = float(np.percentile(np.abs(finite), 99.5)) or 1.0
        return (-bound, bound)
    lo, hi = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    if hi <= lo:
        hi = lo + 1.0 if lo == 0 else lo + abs(lo) * 0.01
    return (lo, hi)
