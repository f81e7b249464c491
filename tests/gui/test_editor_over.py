"""The Edit toolbar's "Over" (paint only over a class, or ignore) and the Fill tool's
Contiguous box, driven with the mouse and keys on a map drawn by the test: which pixels
change, undo, the edit thread against the GUI thread, and the choice kept for the next run."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.editing import prepared
from app.gui.editor import tool_edits
from tests.gui.conftest import RESULT_TIMEOUT_MS, open_and_wait
from tests.gui.editor_fixtures import click, drag, edit_labels, editing  # noqa: F401 - the fixture

SKY, WATER, PERSON, BOAT, OTHER = 0, 1, 2, 3, 4  # the tiny model's five classes, as the test draws them


def scene() -> np.ndarray:
    """The shown image's shape (96 x 128): sky above water, a boat in each (two separate regions)."""
    labels = np.full((96, 128), SKY, np.uint8)
    labels[48:] = WATER
    labels[10:20, 10:30] = BOAT
    labels[60:70, 50:70] = BOAT
    return labels


@pytest.fixture
def drawn(editing):  # noqa: F811 - the fixture
    """The window editing ``scene()``: (window, its toolbar, the map as drawn, the document)."""
    win, _item, _out = editing
    before = scene()
    return win, win.editor.toolbar, before, edit_labels(win, before.copy())


def undo(win):
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def redo(win):
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def test_a_stroke_over_sky_changes_only_the_sky_it_crosses_and_undo_restores_exactly(qtbot, drawn):
    win, bar, before, doc = drawn
    QTest.keyClick(win, Qt.Key.Key_B)
    bar.brush_size.setValue(7)
    bar.paint_class.set_value(PERSON)
    path = [(40.5, 20.5), (40.5, 60.5), (90.5, 75.5), (100.5, 30.5)]  # sky, down into the water, back up
    drag(win, path)
    footprint = doc.labels != before  # the same stroke over any class
    assert (footprint & (before == WATER)).any() and (footprint & (before == SKY)).any()
    undo(win)
    np.testing.assert_array_equal(doc.labels, before)
    bar.paint_over.set_value(SKY)
    drag(win, path)
    after = np.where(footprint & (before == SKY), PERSON, before)
    np.testing.assert_array_equal(doc.labels, after)
    np.testing.assert_array_equal(win.view.main_pane.fill.image, after)  # and that is what is shown
    changed = doc.labels != before
    rows, cols = np.nonzero(changed)
    assert doc.history.next_undo().box == (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)
    assert doc.history.undo_steps() == 1  # the unrestricted stroke was undone, then replaced
    undo(win)
    np.testing.assert_array_equal(doc.labels, before)
    np.testing.assert_array_equal(doc.counts[:5], np.bincount(before.ravel(), minlength=5))
    redo(win)
    np.testing.assert_array_equal(doc.labels, after)
    bar.paint_over.set_value(OTHER)  # no pixel of it on the map: nothing changes, and the window says why
    drag(win, path)
    np.testing.assert_array_equal(doc.labels, after)
    assert win.statusBar().currentMessage() == "Nothing changed: only 'class 4' pixels can change (Over)"
    QTest.keyClick(win, Qt.Key.Key_F)
    click(win, 100.5, 90.5)  # the water is not class 4 either
    np.testing.assert_array_equal(doc.labels, after)


def over_edits(qtbot, win):
    """With Over: sky, a polygon across sky, water and a boat; with Contiguous off, a fill of
    the water (refused: not sky); with Over: boat, a fill of a boat; an undo. The map after each."""
    editor, bar = win.editor, win.editor.toolbar
    doc = edit_labels(win, scene())
    bar.paint_over.set_value(SKY)
    bar.paint_class.set_value(PERSON)
    maps = []

    def settled():
        qtbot.waitUntil(lambda: not editor.busy(), timeout=RESULT_TIMEOUT_MS)
        maps.append(doc.labels.copy())
    QTest.keyClick(win, Qt.Key.Key_P)
    for x, y in [(5.5, 5.5), (120.5, 12.5), (60.5, 90.5)]:
        click(win, x, y)
    QTest.keyClick(win, Qt.Key.Key_Return)
    settled()
    QTest.keyClick(win, Qt.Key.Key_F)
    bar.contiguous.setChecked(False)
    bar.paint_class.set_value(OTHER)
    click(win, 100.5, 90.5)
    settled()
    bar.paint_over.set_value(BOAT)
    click(win, 15.5, 15.5)
    settled()
    undo(win)
    settled()
    return maps


def test_the_edit_thread_gives_what_the_gui_thread_gives(qtbot, editing, monkeypatch):
    win, _item, _out = editing
    threads = []
    for name in ("prepare_polygon", "prepare_fill"):
        real = getattr(prepared, name)
        monkeypatch.setattr(prepared, name, lambda *args, real=real: (threads.append(threading.current_thread()),
                                                                      real(*args))[-1])
    at_once = over_edits(qtbot, win)
    assert len(threads) == 3 and all(t is threading.main_thread() for t in threads)
    before = scene()
    polygon = at_once[0] != before
    assert polygon.any() and (before[polygon] == SKY).all() and (at_once[0][polygon] == PERSON).all()
    np.testing.assert_array_equal(at_once[1], at_once[0])  # the water is not sky
    boats = np.where(before == BOAT, OTHER, at_once[0])
    np.testing.assert_array_equal(at_once[2], boats)  # both boats, though the polygon split none
    np.testing.assert_array_equal(at_once[3], at_once[0])
    win.editor.discard()
    threads.clear()
    monkeypatch.setattr(tool_edits, "BACKGROUND_PIXELS", 0)  # every edit of this small map on the thread
    on_the_thread = over_edits(qtbot, win)
    assert len(threads) == 3 and not any(t is threading.main_thread() for t in threads)
    for a, b in zip(at_once, on_the_thread, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_fill_that_is_not_contiguous_changes_both_regions_of_the_clicked_class_and_nothing_else(qtbot, drawn):
    win, bar, before, doc = drawn
    QTest.keyClick(win, Qt.Key.Key_F)
    assert bar.contiguous.isVisible() and bar.contiguous.isChecked() and not bar.eraser_value.isVisible()
    bar.paint_class.set_value(PERSON)
    click(win, 15.5, 15.5)  # contiguous: the boat in the sky only
    np.testing.assert_array_equal(doc.labels, np.where((before == BOAT) & (np.arange(96)[:, None] < 48),
                                                       PERSON, before))
    undo(win)
    bar.contiguous.setChecked(False)
    click(win, 15.5, 15.5)
    np.testing.assert_array_equal(doc.labels, np.where(before == BOAT, PERSON, before))
    assert doc.history.undo_steps() == 1
    undo(win)
    np.testing.assert_array_equal(doc.labels, before)
    QTest.keyClick(win, Qt.Key.Key_E)
    assert bar.eraser_value.isVisible() and not bar.contiguous.isVisible()
    QTest.keyClick(win, Qt.Key.Key_R)
    assert bar.replace_from.isVisible() and not bar.paint_over.isEnabled(), "Over does not apply to Replace"
    QTest.keyClick(win, Qt.Key.Key_B)
    assert not bar.replace_from.isVisible() and bar.paint_over.isEnabled()
    bar.replace_from.set_value(WATER)
    win.editor.replace_everywhere()  # Edit > Replace in Whole Image, its box out of sight: the window says what
    assert win.statusBar().currentMessage() == "Replacing 1: class 1 by 2: class 2 in the whole image"
    np.testing.assert_array_equal(doc.labels, np.where(before == WATER, PERSON, before))


def test_over_is_kept_for_the_next_run_by_class_name(qtbot, editing, image_folder, tiny_loaded):
    from app.gui.main_window import MainWindow

    win, _item, _out = editing
    bar = win.editor.toolbar
    assert bar.paint_over.currentText() == "any class" and bar.paint_over.over() is None
    assert [bar.paint_over.itemText(i) for i in range(3)] == ["any class", "ignore (255) only", "0: class 0"]
    bar.paint_over.set_value(WATER)
    assert win.settings.paint_over() == "class:class 1"
    later = MainWindow()  # a new run: its settings are the same file
    qtbot.addWidget(later)
    try:
        with qtbot.waitSignal(later.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
            later.worker.start()
            later.worker.set_model(tiny_loaded)
        open_and_wait(qtbot, later, image_folder / "scene1.png")
        later.editor.set_edit_mode(True)
        assert later.editor.toolbar.paint_over.over() == WATER
        picker = later.editor.toolbar.paint_over
        picker.set_classes(("sky", "water"), np.zeros((2, 3), np.uint8))  # other classes: no "class 1"
        assert picker.over() is None, "a restriction never moves to another class"
        picker.set_value(255)
        assert later.settings.paint_over() == "ignore" and picker.currentText() == "ignore (255) only"
    finally:
        later.close()


@pytest.mark.parametrize("text", ["", "class:no such class", "garbage"])
def test_an_unknown_remembered_choice_is_any_class(qtbot, editing, text):
    win, _item, _out = editing
    picker = win.editor.toolbar.paint_over
    picker.set_key(text)
    picker.set_classes(("a", "b"), np.zeros((2, 3), np.uint8))
    assert picker.over() is None and picker.currentText() == "any class"


@pytest.mark.parametrize("tool", ["brush", "eraser", "fill", "polygon", "replace"])
def test_the_edit_toolbar_fits_a_1400_pixel_window_with_every_tool_and_while_busy(qtbot, editing, tool):
    from PySide6.QtWidgets import QApplication, QToolButton

    win, _item, _out = editing
    bar = win.editor.toolbar
    win.resize(1400, 900)
    bar.set_tool(tool)
    for busy in ("", "Filling the polygon"):  # the longest busy text
        bar.set_busy(busy)
        QApplication.processEvents()
        qtbot.waitUntil(lambda: bar.width() >= 1390, timeout=3000)
        extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        assert extension is None or not extension.isVisible(), f"{tool}: the toolbar overflows"
        save = bar.widgetForAction(win.editor.actions.save)
        assert save.isVisible() and save.geometry().right() < bar.width()
