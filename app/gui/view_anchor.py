"""Keeping the photo where it is on screen while the view itself moves or changes size.

Showing the Edit toolbar (Ctrl+E) puts a row above the view: the view moves down and
gets ~30 px shorter, and pyqtgraph keeps the centre of its range, so the photo jumped by
half the row (or shrank, for a tall photo). Under ``held_still`` the view's range is set
afterwards so that every image point is at the screen position it had before; the strip
the toolbar now covers is simply no longer shown.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.gui.image_view import SegmentationView

_PROBE = 1000  # viewport pixels between the two points that give the mapping's scale


@contextmanager
def held_still(view: "SegmentationView", window: QWidget) -> Iterator[None]:
    """Runs the body, lays ``window`` out at once (its layout would wait for the event
    loop), then puts every image point back at its old place on the screen. Without an
    image, or while hidden, the body just runs."""
    viewport, box = view.graphics.viewport(), view.main_pane.view
    if not view.has_image() or not viewport.isVisible():
        yield
        return

    def screen_origin() -> QPointF:
        return QPointF(viewport.mapToGlobal(QPoint(0, 0)))

    def view_point(p: QPointF) -> QPointF:  # viewport pixel -> image coordinates, as drawn now
        return box.mapSceneToView(view.graphics.viewportTransform().inverted()[0].map(p))

    origin = screen_origin()
    a, b = view_point(QPointF(0, 0)), view_point(QPointF(_PROBE, _PROBE))
    kx, ky = (b.x() - a.x()) / _PROBE, (b.y() - a.y()) / _PROBE  # image units per screen pixel
    yield
    _relayout(window)
    if kx == 0 or ky == 0:
        return
    # the box's new rectangle on the screen (floats: rounding to pixels drifted the scale),
    # read in the old mapping
    rect = box.mapRectToScene(box.rect())
    shift = screen_origin() - origin
    to_viewport = view.graphics.viewportTransform()
    top_left, bottom_right = to_viewport.map(rect.topLeft()) + shift, to_viewport.map(rect.bottomRight()) + shift
    xs = sorted((a.x() + top_left.x() * kx, a.x() + bottom_right.x() * kx))
    ys = sorted((a.y() + top_left.y() * ky, a.y() + bottom_right.y() * ky))
    box.setRange(xRange=xs, yRange=ys, padding=0)


def _relayout(window: QWidget) -> None:
    layout = window.layout()
    if layout is not None:
        layout.activate()
