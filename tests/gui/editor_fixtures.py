"""The editor tests' mouse driving and their window in Edit mode (shared by several test files)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from app.gui.editor.session import EditSession
from tests.gui.conftest import open_and_wait

Button = QMessageBox.StandardButton


def widget_pos(win, x: float, y: float) -> QPointF:
    """Image pixel (x, y) of the main pane in the graphics view's widget coordinates."""
    view = win.view
    scene = view.main_pane.view.mapViewToScene(QPointF(x, y))
    return QPointF(view.graphics.mapFromScene(scene))


def mouse(win, kind, x, y, buttons=Qt.MouseButton.LeftButton, button=Qt.MouseButton.LeftButton,
          modifiers=Qt.KeyboardModifier.NoModifier):
    viewport = win.view.graphics.viewport()
    pos = widget_pos(win, x, y)
    event = QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(pos.toPoint())), button, buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def drag(win, points):
    mouse(win, QEvent.Type.MouseButtonPress, *points[0])
    for point in points[1:]:
        mouse(win, QEvent.Type.MouseMove, *point, button=Qt.MouseButton.NoButton)
    mouse(win, QEvent.Type.MouseButtonRelease, *points[-1], buttons=Qt.MouseButton.NoButton)


def click(win, x, y, **kwargs):
    mouse(win, QEvent.Type.MouseButtonPress, x, y, **kwargs)
    mouse(win, QEvent.Type.MouseButtonRelease, x, y, buttons=Qt.MouseButton.NoButton, **kwargs)


def edit_labels(win, labels):
    """Edit ``labels`` (a map drawn by the test, of the shown image's shape) instead of the
    prediction, the way restored edits are shown; returns the session's document."""
    editor = win.editor
    editor.wait()
    original = editor.session.original if editor.session is not None else win.viewer.shown
    editor._start(EditSession.start(win.viewer.shown_path, original, win.viewer.classes(), labels),  # noqa: SLF001
                  redraw=True)
    return editor.session.doc


def answer(monkeypatch, button):
    """Every QMessageBox.question answers ``button``; returns the titles asked, in order."""
    asked = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(title)
        return button
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


@pytest.fixture
def editing(qtbot, window, image_folder, tmp_path, monkeypatch):
    """The window on scene0 in Edit mode; saving goes to tmp_path/labels (the folder dialog answers)."""
    out = tmp_path / "labels"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    # pytest-qt closes the window before fixtures end: unsaved edits left by a test are discarded
    answer(monkeypatch, Button.Discard)
    item = open_and_wait(qtbot, window, image_folder / "scene0.png")
    window.editor.set_edit_mode(True)
    window.set_overlay_mode("both")  # fill and contours both follow the edits
    yield window, item, out
