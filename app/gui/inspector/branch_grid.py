"""Small multiples: each part's share of one class's logit (or of A minus B) over the image.

(The receptive-field tab reuses them for its per-path gradient maps, on a sequential scale.)

One panel per part (features, bin 1, ...) and one for the BN shift + classifier bias,
all on the same symmetric scale with one diverging colour bar, so the panels compare
directly: red pushes the target class up, blue pushes it down (logit units per cell).
Every panel is drawn the same size, whatever its title (``_equal_panels``).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem, QVBoxLayout, QWidget

from app.gui.inspector._pg import pg
from app.gui.inspector.map_view import (DIVERGING, PHOTO_MAX_SIDE, SelectViewBox, box_pixels, colormap,
                                       robust_levels)

BIAS_TITLE = "BN shift + bias"


def best_columns(count: int, width: float, height: float, aspect: float, bar: float = 70.0,
                 title: float = 24.0) -> int:
    """The column count that shows ``count`` panels of a ``aspect`` (width / height) image largest."""
    best, best_scale = max(1, min(count, 3)), 0.0  # the default when nothing fits yet (not laid out)
    for columns in range(1, count + 1):
        rows = (count + columns - 1) // columns
        cell_w, cell_h = (width - bar) / columns, height / rows - title
        scale = min(cell_w / aspect, cell_h) if cell_w > 0 and cell_h > 0 else 0.0
        if scale > best_scale + 1e-9:
            best, best_scale = columns, scale
    return best


class BranchGrid(QWidget):
    """Per-part share maps of the target class on one colour scale."""

    clicked = Signal(int, int)  # photo pixel
    boxSelected = Signal(int, int, int, int)  # x0, y0, x1, y1 photo pixels, corners included (box mode)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("#202124")
        self.graphics.setMinimumHeight(80)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.plots: list[pg.PlotItem] = []
        self.images: list[pg.ImageItem] = []
        self.photos: list[pg.ImageItem] = []
        self.colorbar: pg.ColorBarItem | None = None
        self.outlines: list[QGraphicsRectItem] = []
        self.markers: list[pg.ScatterPlotItem] = []
        self.shapes: list[QGraphicsPathItem] = []  # a dashed outline of any shape (a union of boxes)
        self.region_shapes: list[QGraphicsPathItem] = []  # the selected region, solid
        self._box_mode = False
        self.values: list[np.ndarray] = []
        self._image_size: tuple[int, int] | None = None
        self._columns = 0
        self.graphics.scene().sigMouseClicked.connect(self._on_click)

    def set_parts(self, names: list[str], photo: np.ndarray | None, extra: str | None = BIAS_TITLE,
                  cmap_name: str | pg.ColorMap = DIVERGING, bar_label: str = "share of the logit, per cell") -> None:
        """Build one empty panel per part (plus ``extra``, the bias by default) over ``photo``."""
        self.graphics.clear()
        self.plots, self.images, self.photos, self.values = [], [], [], []
        self.outlines, self.markers, self.shapes, self.region_shapes = [], [], [], []
        self._image_size = None if photo is None else photo.shape[:2]
        if not names:
            return
        titles = list(names) + ([extra] if extra else [])
        columns = self._best_columns(len(titles))
        cmap = colormap(cmap_name) if isinstance(cmap_name, str) else cmap_name
        for n, title in enumerate(titles):
            view = SelectViewBox(self._box_dragged)
            view.box_mode = self._box_mode
            plot = self.graphics.addPlot(row=n // columns, col=n % columns, title=title, viewBox=view)
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setAspectLocked(True)
            plot.invertY(True)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            under, image = pg.ImageItem(), pg.ImageItem()
            under.setOpacity(0.55)
            image.setOpacity(0.85)
            image.setZValue(1)
            plot.addItem(under)
            plot.addItem(image)
            outline = QGraphicsRectItem()
            pen = QPen(QColor("#ffd54f"))
            pen.setCosmetic(True)
            pen.setStyle(Qt.PenStyle.DashLine)
            outline.setPen(pen)
            outline.setZValue(2)
            outline.hide()
            plot.addItem(outline, ignoreBounds=True)
            marker = pg.ScatterPlotItem(size=10, symbol="+", pen=pg.mkPen("w", width=2), brush=None)
            marker.setZValue(3)
            plot.addItem(marker)
            self.outlines.append(outline)
            self.markers.append(marker)
            for items, colour, style in ((self.shapes, "#ffd54f", Qt.PenStyle.DashLine),
                                         (self.region_shapes, "#ffffff", Qt.PenStyle.SolidLine)):
                shape = QGraphicsPathItem()
                shape_pen = QPen(QColor(colour))
                shape_pen.setCosmetic(True)
                shape_pen.setStyle(style)
                shape.setPen(shape_pen)
                shape.setZValue(2)
                shape.hide()
                plot.addItem(shape, ignoreBounds=True)
                items.append(shape)
            if photo is not None:
                height, width = photo.shape[:2]
                step = max(1, int(np.ceil(max(height, width) / (PHOTO_MAX_SIDE / 2))))
                grey = photo[::step, ::step].mean(axis=2).astype(np.uint8)
                under.setImage(grey, autoLevels=False, levels=(0, 255))
                under.setRect(QRectF(0, 0, width, height))
                plot.setRange(QRectF(0, 0, width, height), padding=0.01)
            self.plots.append(plot)
            self.images.append(image)
            self.photos.append(under)
        rows = (len(titles) + columns - 1) // columns
        self.colorbar = pg.ColorBarItem(values=(-1, 1), colorMap=cmap, interactive=False, width=16,
                                        label=bar_label, colorMapMenu=False)
        self.colorbar.setImageItem(self.images)
        self.graphics.addItem(self.colorbar, row=0, col=columns, rowspan=rows)
        self._columns = columns
        self._equal_panels()

    def _equal_panels(self) -> None:
        """Give every panel the widest one's minimum and preferred width.

        A panel's width hints come from its title's text, and the grid layout shares the
        spare width out unevenly between columns whose hints differ: the stages' "stem"
        panel was drawn ~30 px wider than "layer1".."layer4" (13%, at 1400 px).
        """
        for plot in self.plots:  # back to each title's own hints, then all to the largest
            plot.setMinimumWidth(-1)
            plot.setPreferredWidth(-1)
        if not self.plots:
            return
        smallest = max(plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() for plot in self.plots)
        preferred = max(plot.effectiveSizeHint(Qt.SizeHint.PreferredSize).width() for plot in self.plots)
        for plot in self.plots:
            plot.setMinimumWidth(smallest)
            plot.setPreferredWidth(preferred)

    def _best_columns(self, count: int) -> int:
        size = self.graphics.size()
        aspect = 1.0 if self._image_size is None else self._image_size[1] / max(self._image_size[0], 1)
        return best_columns(count, size.width(), size.height(), aspect)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        if self.plots and self._best_columns(len(self.plots)) != self._columns:
            self._arrange(self._best_columns(len(self.plots)))

    def _arrange(self, columns: int) -> None:
        """Lay the same panels out again in ``columns`` columns (the colour bar on the right)."""
        layout = self.graphics.ci
        items = [*self.plots, *([self.colorbar] if self.colorbar is not None else [])]
        for item in items:
            layout.removeItem(item)
        for n, plot in enumerate(self.plots):
            layout.addItem(plot, row=n // columns, col=n % columns)
        if self.colorbar is not None:
            layout.addItem(self.colorbar, row=0, col=columns, rowspan=(len(self.plots) + columns - 1) // columns)
        self._columns = columns

    def set_maps(self, shares: np.ndarray, bias: np.ndarray | None, rect: tuple[float, float, float, float],
                 title: str, symmetric: bool = True) -> tuple[float, float]:
        """Show (P, h, w) maps and the (h, w) bias term (None: no bias panel, e.g. Grad-CAM).

        Returns the common levels (symmetric around 0 unless ``symmetric`` is False).
        """
        maps = [*shares] if bias is None else [*shares, bias]
        self.values = [np.asarray(v, dtype=np.float32) for v in maps]
        levels = robust_levels(np.concatenate([v.ravel() for v in self.values]), symmetric=symmetric)
        for n, image in enumerate(self.images):
            self.plots[n].setVisible(n < len(self.values))
            if n < len(self.values):
                image.setImage(self.values[n], autoLevels=False, levels=levels)
                image.setRect(QRectF(*rect))
        if self.colorbar is not None:
            self.colorbar.setLevels(levels)
            self.colorbar.setLabel("left", title)
        return levels

    def set_titles(self, titles: list[str]) -> None:
        for plot, title in zip(self.plots, titles):
            plot.setTitle(title)
        self._equal_panels()

    def set_outlines(self, rects: list[tuple[float, float, float, float] | None]) -> None:
        """A dashed box (x, y, width, height in photo pixels) on each panel; None hides it."""
        for n, outline in enumerate(self.outlines):
            rect = rects[n] if n < len(rects) else None
            outline.setVisible(rect is not None)
            if rect is not None:
                outline.setRect(QRectF(*rect))

    def set_shapes(self, paths: list[QPainterPath | None]) -> None:
        """A dashed outline of any shape (photo coordinates) on each panel; None hides it."""
        for n, shape in enumerate(self.shapes):
            path = paths[n] if n < len(paths) else None
            shape.setVisible(path is not None)
            if path is not None:
                shape.setPath(path)

    def set_region_shape(self, path: QPainterPath | None) -> None:
        """The selected region's outline (solid) on every panel; None hides it."""
        for shape in self.region_shapes:
            shape.setVisible(path is not None)
            if path is not None:
                shape.setPath(path)

    def set_box_mode(self, on: bool) -> None:
        """Left-drag on a panel draws a box (``boxSelected``); a click still clicks."""
        self._box_mode = on
        for plot in self.plots:
            plot.vb.box_mode = on
            if not on:
                plot.vb.band.hide()

    def _box_dragged(self, rect: QRectF) -> None:
        if self._image_size is None:
            return
        self.boxSelected.emit(*box_pixels(rect, self._image_size))

    def set_marker(self, x: float | None, y: float | None) -> None:
        for marker in self.markers:
            marker.setData([] if x is None else [x + 0.5], [] if y is None else [y + 0.5])

    def levels(self) -> tuple[float, float] | None:
        if self.colorbar is None:
            return None
        low, high = self.colorbar.levels()
        return float(low), float(high)

    def _on_click(self, event) -> None:  # noqa: ANN001 - a pyqtgraph mouse event
        if event.button() != Qt.MouseButton.LeftButton or self._image_size is None:
            return
        for plot in self.plots:
            if plot.sceneBoundingRect().contains(event.scenePos()):
                point = plot.vb.mapSceneToView(event.scenePos())
                x, y = int(np.floor(point.x())), int(np.floor(point.y()))
                height, width = self._image_size
                if 0 <= x < width and 0 <= y < height:
                    self.clicked.emit(x, y)
                return
