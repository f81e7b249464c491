"""Showing or hiding the Edit toolbar (Ctrl+E) leaves the photo where it is on the screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from tests.gui.conftest import open_and_wait
from tests.gui.editor_fixtures import widget_pos


def on_screen(win, x: float, y: float) -> QPointF:
    """Where image point (x, y) is drawn, in global screen pixels."""
    viewport = win.view.graphics.viewport()
    return QPointF(viewport.mapToGlobal(widget_pos(win, x, y).toPoint()))


@pytest.mark.parametrize("zoomed", [False, True])
def test_toggling_the_edit_toolbar_keeps_every_image_point_in_place(qtbot, window, image_folder, zoomed):
    window.resize(1400, 880)
    open_and_wait(qtbot, window, sorted(image_folder.glob("*.png"))[0])
    window.view.fit()
    if zoomed:
        window.view.zoom(2.0)
    qtbot.wait(50)
    h, w = window.view.image_shape()
    points = [(w * 0.5, h * 0.5), (w * 0.25, h * 0.75)]
    before = [on_screen(window, *p) for p in points]
    top = window.view.graphics.viewport().mapToGlobal(window.view.graphics.viewport().rect().topLeft()).y()
    window.editor.edit_mode.trigger()  # Ctrl+E
    qtbot.waitUntil(window.editor.toolbar.isVisible)
    qtbot.wait(50)
    assert window.view.graphics.viewport().mapToGlobal(
        window.view.graphics.viewport().rect().topLeft()).y() > top  # the view did move down
    for point, old in zip(points, before):
        new = on_screen(window, *point)
        assert abs(new.x() - old.x()) <= 1 and abs(new.y() - old.y()) <= 1, (point, old, new)
    window.editor.edit_mode.trigger()  # and back
    qtbot.waitUntil(lambda: not window.editor.toolbar.isVisible())
    qtbot.wait(50)
    for point, old in zip(points, before):
        new = on_screen(window, *point)
        assert abs(new.x() - old.x()) <= 1 and abs(new.y() - old.y()) <= 1, (point, old, new)
