"""The central view: photo and class mask, optionally side by side, zoom and pan."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from app.gui.view_pane import ImagePane
from app.viewing.layers import PreparedLayers

BACKGROUND = "#202124"
OVERLAY_MODES = ("fill", "contour", "both", "hidden")


class SegmentationView(QWidget):
    """Shows one image and its result; emits the image pixel under the cursor."""

    cursorMoved = Signal(int, int)   # image x, y; (-1, -1) when off the image
    pixelClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.ci.setSpacing(4)
        self.photo_pane = ImagePane(overlays=False)   # left pane, side by side only
        self.main_pane = ImagePane(overlays=True)
        self.photo_pane.view.setXLink(self.main_pane.view)
        self.photo_pane.view.setYLink(self.main_pane.view)
        self.graphics.ci.addItem(self.main_pane.view, row=0, col=1)
        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("viewPlaceholder")
        self.placeholder.setStyleSheet(f"background:{BACKGROUND}; color:#9aa0a6; font-size:15px;")
        self.placeholder.setWordWrap(True)
        self.set_placeholder("Open an image or a folder (Ctrl+O, Ctrl+Shift+O),\n"
                             "or drop images, folders or weights here.")
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.placeholder)
        self._stack.addWidget(self.graphics)
        self._image: np.ndarray | None = None
        self._side_by_side = False
        self._mode, self._opacity, self._confidence = "fill", 0.55, False
        scene = self.graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)

    # --- content -----------------------------------------------------------------
    def set_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)

    def has_image(self) -> bool:
        return self._image is not None

    def set_image(self, image: np.ndarray | None, keep_view: bool = False) -> None:
        same_size = (self._image is not None and image is not None
                     and self._image.shape[:2] == image.shape[:2])
        self._image = image
        for pane in self.panes():
            pane.set_photo(image)
        self.set_result(None, None, None)
        self._stack.setCurrentIndex(1 if image is not None else 0)
        if image is not None and not (keep_view and same_size):
            self.fit()

    def set_result(self, labels: np.ndarray | None, confidence: np.ndarray | None,
                   lut: np.ndarray | None, layers: PreparedLayers | None = None) -> None:
        """``layers``: the contours made in the worker for these labels (else made here)."""
        self.main_pane.set_result(labels, confidence, lut, layers)
        self._restyle()

    def set_lut(self, lut: np.ndarray) -> None:
        self.main_pane.set_lut(lut)

    # --- edit hooks (app.gui.editor) -------------------------------------------------
    def drawn_labels(self) -> np.ndarray | None:
        return self.main_pane.labels()

    def swap_labels(self, labels: np.ndarray) -> None:
        self.main_pane.swap_labels(labels)

    def update_labels(self, box: tuple[int, int, int, int], source: np.ndarray | None = None) -> None:
        """Redraw what an edit changed inside ``box`` (y0, y1, x0, x1) only."""
        self.main_pane.update_labels(box, source)

    def image_point(self, widget_pos: QPointF) -> tuple[float, float] | None:
        """Image coordinates (x, y as floats) of a position in the graphics viewport."""
        if self._image is None:
            return None
        scene_pos = self.graphics.mapToScene(widget_pos.toPoint())
        point = self.main_pane.view.mapSceneToView(scene_pos)
        return float(point.x()), float(point.y())

    # --- style -------------------------------------------------------------------
    def set_opacity(self, percent: int) -> None:
        self._opacity = max(0, min(100, percent)) / 100.0
        self._restyle()

    def set_overlay_mode(self, mode: str) -> None:
        if mode not in OVERLAY_MODES:
            raise ValueError(f"unknown overlay mode {mode!r}")
        self._mode = mode
        self._restyle()

    def overlay_mode(self) -> str:
        return self._mode

    def set_confidence_map(self, on: bool) -> None:
        self._confidence = on
        self._restyle()

    def set_side_by_side(self, on: bool) -> None:
        if on == self._side_by_side:
            return
        self._side_by_side = on
        if on:
            self.graphics.ci.addItem(self.photo_pane.view, row=0, col=0)
            self.photo_pane.set_photo(self._image)
        else:
            self.graphics.ci.removeItem(self.photo_pane.view)
        self.fit()

    def _restyle(self) -> None:
        self.main_pane.apply_style(self._mode, self._opacity, self._confidence)

    def panes(self) -> list[ImagePane]:
        return [self.main_pane, self.photo_pane] if self._side_by_side else [self.main_pane]

    # --- zoom --------------------------------------------------------------------
    def fit(self) -> None:
        if self._image is not None:
            h, w = self._image.shape[:2]
            self.main_pane.view.setRange(xRange=(0, w), yRange=(0, h), padding=0.01)

    def actual_size(self) -> None:
        """One image pixel per screen pixel, keeping the centre of the view."""
        view = self.main_pane.view
        px, _ = view.viewPixelSize()
        if px > 0:
            view.scaleBy((1.0 / px, 1.0 / px))

    def zoom(self, factor: float) -> None:
        """factor > 1 zooms in."""
        self.main_pane.view.scaleBy((1.0 / factor, 1.0 / factor))

    def pixel_scale(self) -> float:
        """Screen pixels per image pixel (1.0 at 100%)."""
        px, _ = self.main_pane.view.viewPixelSize()
        return 1.0 / px if px > 0 else 0.0

    # --- mouse -------------------------------------------------------------------
    def pixel_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """The image pixel at a scene position, None off the image (read-out refresh)."""
        return self._pixel_at(scene_pos)

    def _pixel_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        if self._image is None:
            return None
        h, w = self._image.shape[:2]
        for pane in self.panes():
            hit = pane.image_pixel(scene_pos)
            if hit is not None and 0 <= hit[0] < w and 0 <= hit[1] < h:
                return hit
        return None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        hit = self._pixel_at(scene_pos)
        self.cursorMoved.emit(*(hit or (-1, -1)))

    def _on_mouse_clicked(self, event) -> None:  # noqa: ANN001 - pyqtgraph click event
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        hit = self._pixel_at(event.scenePos())
        if hit is not None:
            self.pixelClicked.emit(*hit)

    def image_shape(self) -> tuple[int, int] | None:
        return None if self._image is None else self._image.shape[:2]
