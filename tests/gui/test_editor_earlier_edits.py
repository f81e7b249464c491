"""Edits saved earlier are not replaced unseen: with Review > Show Labels from Folder off the
window shows the model's prediction, and editing that and saving would replace the earlier
edits with a map that never had them. The save asks first."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.engine.imageio import read_label_map
from tests.gui.conftest import RESULT_TIMEOUT_MS
from tests.gui.editor_fixtures import Button, answer, drag, editing  # noqa: F401 - the fixture


def leave_and_come_back(qtbot, win):
    QTest.keyClick(win, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: win.viewer.shown_path is not None and win.viewer.shown_path.name == "scene1.png"
                    and win.viewer.shown is not None, timeout=RESULT_TIMEOUT_MS)
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        QTest.keyClick(win, Qt.Key.Key_Left)


def paint(win, points):
    """A brush stroke of a class the stroke's first pixel does not have; the map after it."""
    shown = win.viewer.shown.result.labels
    x, y = points[0]
    win.editor.toolbar.paint_class.set_value((int(shown[y, x]) + 1) % len(win.viewer.classes()))
    win.editor.toolbar.brush_size.setValue(9)
    drag(win, points)
    return win.editor.session.doc.labels.copy()


def test_saving_an_edit_of_the_prediction_asks_before_replacing_earlier_edits(qtbot, editing, monkeypatch):
    win, item, out = editing
    win.review.show_labels.trigger()  # off: the prediction is shown
    assert not win.review.show_labels.isChecked()
    first = paint(win, [(30, 30), (90, 60)])
    assert win.editor.saver.save()
    png = out / "scene0.png"
    saved = png.read_bytes()
    np.testing.assert_array_equal(read_label_map(png), first)

    leave_and_come_back(qtbot, win)
    prediction = win.viewer.shown.result.labels
    assert (prediction != first).any(), "the prediction is shown, not the earlier edit"
    paint(win, [(10, 70), (60, 80)])
    assert win.editor.session.doc.dirty
    asked = answer(monkeypatch, Button.No)
    assert not win.editor.saver.save()
    assert asked == ["Replace edited labels?"]
    assert png.read_bytes() == saved, "No keeps the earlier edits"
    assert win.editor.session.doc.dirty, "and the new edits stay in the editor"

    asked = answer(monkeypatch, Button.Yes)
    assert win.editor.saver.save()
    assert asked == ["Replace edited labels?"]
    np.testing.assert_array_equal(read_label_map(png), win.editor.session.doc.labels)
    # the same session saving again replaces what it saved itself: no question
    paint(win, [(100, 20), (115, 30)])
    asked = answer(monkeypatch, Button.No)
    assert win.editor.saver.save() and asked == []


def test_editing_the_saved_labels_replaces_them_without_asking(qtbot, editing, monkeypatch):
    win, item, out = editing
    assert win.review.show_labels.isChecked()  # the default: saved labels are shown
    paint(win, [(30, 30), (90, 60)])
    assert win.editor.saver.save()
    leave_and_come_back(qtbot, win)
    paint(win, [(10, 70), (60, 80)])
    asked = answer(monkeypatch, Button.No)
    assert win.editor.saver.save() and asked == []
