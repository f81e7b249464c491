"""Mouse input for editing, over the image view: strokes, clicks, polygons, rectangles.

An event filter on the view's viewport takes the left button while editing, so a
drag paints instead of panning; the wheel still zooms and the middle or right button
still pans and zooms. It draws the brush circle and the outline of a polygon or
rectangle in progress, and hands finished gestures to the editor (``EditController``).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem

from app.gui.image_view import SegmentationView

DRAG_PIXELS = 4  # screen pixels the pointer moves before a press becomes a rectangle drag


class EditController(Protocol):
    def active(self) -> bool: ...
    def tool(self) -> str: ...
    def brush_size(self) -> int: ...
    def begin_stroke(self, x: float, y: float) -> None: ...
    def stroke_to(self, x: float, y: float) -> None: ...
    def end_stroke(self) -> None: ...
    def fill_at(self, x: float, y: float) -> None: ...
    def pick_at(self, x: float, y: float) -> None: ...
    def region_done(self, points: list[tuple[float, float]], rectangle: bool) -> None: ...


def _pen(color: str, width: float, dashed: bool = False) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)  # screen pixels, whatever the zoom
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class EditCanvas(QObject):
    def __init__(self, view: SegmentationView, controller: EditController) -> None:
        super().__init__(view)
        self.view, self.controller = view, controller
        box = view.main_pane.view
        self.circle_shadow = QGraphicsEllipseItem()
        self.circle_shadow.setPen(_pen("#000000", 3.0))
        self.circle = QGraphicsEllipseItem()
        self.circle.setPen(_pen("#ffffff", 1.2))
        self.outline = QGraphicsPathItem()
        self.outline.setPen(_pen("#ffd400", 1.5, dashed=True))
        for z, item in enumerate((self.circle_shadow, self.circle, self.outline)):
            item.setZValue(100 + z)
            item.setVisible(False)
            box.addItem(item, ignoreBounds=True)
        self.points: list[tuple[float, float]] = []   # polygon corners so far
        self._press: tuple[QPointF, tuple[float, float]] | None = None  # widget and image position
        self._dragging = False
        self._stroking = False
        self._hover: tuple[float, float] | None = None
        self._busy = False
        view.graphics.viewport().installEventFilter(self)

    # --- state ---------------------------------------------------------------------------
    def cancel(self) -> None:
        """Forget a polygon or rectangle in progress (Escape, a tool change, leaving the image)."""
        if self._stroking:
            self._stroking = False
            self.controller.end_stroke()
        self.points, self._press, self._dragging = [], None, False
        self.outline.setVisible(False)

    def finish_polygon(self) -> None:
        if len(self.points) >= 3:
            points = self.points
            self.cancel()
            self.controller.region_done(points, rectangle=False)

    def remove_last_point(self) -> None:
        if self.points:
            self.points.pop()
            self._draw_outline(self._hover)

    def set_busy(self, on: bool) -> None:
        """An edit is being computed: the pointer says so (input still goes in line)."""
        self._busy = on
        self.refresh_cursor()

    def refresh_cursor(self) -> None:
        """Show or hide the brush circle for the current tool, size and pointer position."""
        show = (self.controller.active() and self.controller.tool() in ("brush", "eraser")
                and self._hover is not None)
        if show:
            x, y = self._hover  # type: ignore[misc]
            r = max(0.5, self.controller.brush_size() / 2.0)
            for item in (self.circle, self.circle_shadow):
                item.setRect(QRectF(x - r, y - r, 2 * r, 2 * r))
        self.circle.setVisible(show)
        self.circle_shadow.setVisible(show)
        viewport = self.view.graphics.viewport()
        if self.controller.active() and self._busy:
            viewport.setCursor(Qt.CursorShape.BusyCursor)
        elif self.controller.active():
            viewport.setCursor(Qt.CursorShape.BlankCursor if show else Qt.CursorShape.CrossCursor)
        else:
            viewport.unsetCursor()

    # --- events --------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Leave:
            self._hover = None
            self.refresh_cursor()
            return False
        if not isinstance(event, QMouseEvent) or not self.controller.active():
            return False
        point = self.view.image_point(event.position())
        if point is None:
            return False
        if kind == QEvent.Type.MouseMove:
            self._hover = point
            self.refresh_cursor()
            return self._on_move(event, point)
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        if kind == QEvent.Type.MouseButtonPress:
            return self._on_press(event, point)
        if kind == QEvent.Type.MouseButtonRelease:
            return self._on_release(event, point)
        if kind == QEvent.Type.MouseButtonDblClick:
            if self.controller.tool() in ("polygon", "replace"):
                self.finish_polygon()
            return True
        return False

    def _on_press(self, event: QMouseEvent, point: tuple[float, float]) -> bool:
        if event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.controller.pick_at(*point)
            return True
        tool = self.controller.tool()
        if tool in ("brush", "eraser"):
            self._stroking = True
            self.controller.begin_stroke(*point)
        elif tool == "fill":
            self.controller.fill_at(*point)
        else:
            self._press, self._dragging = (event.position(), point), False
        return True

    def _on_move(self, event: QMouseEvent, point: tuple[float, float]) -> bool:
        if self._stroking:
            if event.buttons() & Qt.MouseButton.LeftButton:
                self.controller.stroke_to(*point)
                return True
            self._stroking = False  # the release went elsewhere
            self.controller.end_stroke()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = event.position() - self._press[0]
            self._dragging = self._dragging or abs(moved.x()) + abs(moved.y()) > DRAG_PIXELS
            if self._dragging:
                self._draw_rectangle(self._press[1], point)
            return True
        if self.points:
            self._draw_outline(point)
        return False

    def _on_release(self, event: QMouseEvent, point: tuple[float, float]) -> bool:
        if self._stroking:
            self._stroking = False
            self.controller.stroke_to(*point)
            self.controller.end_stroke()
            return True
        if self._press is None:
            return True
        start, dragging = self._press[1], self._dragging
        self._press, self._dragging = None, False
        if dragging:
            self.outline.setVisible(False)
            self.points = []
            self.controller.region_done([start, point], rectangle=True)
        else:
            self.points.append(point)
            self._draw_outline(point)
        return True

    # --- outlines ------------------------------------------------------------------------
    def _draw_outline(self, pointer: tuple[float, float] | None) -> None:
        if not self.points:
            self.outline.setVisible(False)
            return
        path = QPainterPath(QPointF(*self.points[0]))
        for x, y in self.points[1:] + ([pointer] if pointer is not None else []):
            path.lineTo(QPointF(x, y))
        path.closeSubpath()
        self.outline.setPath(path)
        self.outline.setVisible(True)

    def _draw_rectangle(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        path = QPainterPath()
        path.addRect(QRectF(QPointF(*a), QPointF(*b)).normalized())
        self.outline.setPath(path)
        self.outline.setVisible(True)
