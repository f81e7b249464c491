"""The label editor driven like a user: strokes with the mouse, fill, polygon, replace,
undo/redo past the limit, save, reload, and the unsaved-changes question on every way out."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.editing import IGNORE, EditHistory
from app.editing.recovery import recovery_files
from app.engine import writers
from app.engine.imageio import read_label_map
from app.viewing.rendering import contour_labels, contour_thickness
from tests.gui.conftest import RESULT_TIMEOUT_MS
from tests.gui.editor_fixtures import Button, answer, click, drag, editing  # noqa: F401 - the fixture


def paint_a_dab(editor, x=50.5, y=50.5):
    """One brush dab of a class the pixel does not have, as one undo step."""
    shown = editor.viewer.shown.result.labels
    editor.toolbar.paint_class.set_value((int(shown[int(y), int(x)]) + 1) % len(editor.viewer.classes()))
    editor.begin_stroke(x, y)
    editor.end_stroke()
    assert editor.session.doc.dirty


def test_brush_stroke_with_the_mouse_updates_overlay_contours_legend_and_readout(qtbot, editing):
    win, item, _ = editing
    editor, bar = win.editor, win.editor.toolbar
    QTest.keyClick(win, Qt.Key.Key_B)
    bar.brush_size.setValue(5)
    bar.paint_class.set_value(2)
    before = item.result.labels.copy()
    drag(win, [(10.5, 20.5), (40.5, 20.5), (70.5, 20.5)])
    doc = editor.session.doc
    assert (doc.labels[20, 10:71] == 2).all() and (doc.labels[18:23, 40] == 2).all()
    assert doc.labels[14, 40] == before[14, 40], "the stroke is 5 pixels wide"
    np.testing.assert_array_equal(item.result.labels, before), "the model's result is untouched"
    pane = win.view.main_pane
    pane.finish_contours()
    assert np.shares_memory(pane.fill.image, doc.labels), "the fill draws the edited map itself"
    np.testing.assert_array_equal(pane.fill.image, doc.labels)
    np.testing.assert_array_equal(pane._edges, contour_labels(doc.labels, pane._num_classes,
                                                              contour_thickness(*doc.labels.shape)))
    areas = {index: text for index, _name, text, _checked in win.legend.rows()}
    assert float(areas[2].split()[0]) == pytest.approx(100 * np.count_nonzero(doc.labels == 2) / doc.labels.size,
                                                       abs=0.06)
    name, confidence = win.viewer.readout_at(40, 20)
    assert name == win.viewer.classes().names[2]
    assert confidence is None or before[20, 40] == 2, "a painted pixel has no model confidence"
    assert editor.session.doc.history.undo_steps() == 1, "one drag, one undo step"
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(doc.labels, before)
    pane.finish_contours()
    np.testing.assert_array_equal(pane._edges, contour_labels(before, pane._num_classes,
                                                              contour_thickness(*before.shape)))
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert (doc.labels[20, 10:71] == 2).all()
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(win, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert (doc.labels[20, 10:71] == 2).all()


def test_eraser_fill_polygon_replace_and_picking(qtbot, editing):
    win, item, _ = editing
    editor, bar = win.editor, win.editor.toolbar
    QTest.keyClick(win, Qt.Key.Key_E)
    bar.brush_size.setValue(3)
    drag(win, [(5.5, 5.5), (5.5, 30.5)])
    doc = editor.session.doc
    assert (doc.labels[5:31, 5] == IGNORE).all(), "the eraser paints ignore"
    QTest.keyClick(win, Qt.Key.Key_R)
    bar.replace_from.set_value(int(doc.labels[60, 100]))
    bar.paint_class.set_value(3)
    old = int(doc.labels[60, 100])
    inside = doc.labels[50:71, 90:111] == old
    drag(win, [(90.2, 50.2), (100.0, 60.0), (110.8, 70.8)])  # a rectangle: replace inside only
    assert (doc.labels[50:71, 90:111][inside] == 3).all()
    QTest.keyClick(win, Qt.Key.Key_P)
    bar.paint_class.set_value(1)
    for x, y in ((20, 40), (60, 40), (60, 80)):
        click(win, x, y)
    QTest.keyClick(win, Qt.Key.Key_Return)
    assert doc.labels[70, 55] == 1 and doc.labels[45, 58] == 1, "inside the triangle"
    QTest.keyClick(win, Qt.Key.Key_F)
    bar.paint_class.set_value(0)
    doc.labels[0:3, 0:3] = 2  # an island to fill (set directly, then counted through the fill)
    doc.counts = np.bincount(doc.labels.ravel(), minlength=doc.counts.size)
    doc.labels[0:4, 3] = doc.labels[3, 0:4] = 3
    doc.counts = np.bincount(doc.labels.ravel(), minlength=doc.counts.size)
    click(win, 1.5, 1.5)
    assert (doc.labels[0:3, 0:3] == 0).all() and doc.labels[0, 3] == 3
    click(win, 100.5, 60.5, modifiers=Qt.KeyboardModifier.AltModifier)
    assert bar.paint_class.value() == 3, "Alt+click picks the class under the cursor"
    np.testing.assert_array_equal(doc.counts, np.bincount(doc.labels.ravel(), minlength=doc.counts.size))


def test_legend_click_and_class_search_choose_the_paint_class(qtbot, editing):
    win, _item, _ = editing
    bar = win.editor.toolbar
    first = win.legend.tree.topLevelItem(0)
    win.legend.tree.itemClicked.emit(first, 0)
    assert bar.paint_class.value() == int(first.data(0, Qt.ItemDataRole.UserRole))
    name = win.viewer.classes().names[1]
    bar.paint_class.completer().activated[str].emit(f"1: {name}")
    assert bar.paint_class.value() == 1


def test_undo_and_redo_past_the_history_limit(qtbot, editing):
    win, item, _ = editing
    editor = win.editor
    session = editor.ensure_session()
    session.doc.history = EditHistory(max_steps=100)
    states = [session.doc.labels.copy()]
    for i in range(110):
        editor.begin_stroke(i + 0.5, 10.5)
        editor.end_stroke()
        states.append(session.doc.labels.copy())
    for _ in range(100):
        QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(session.doc.labels, states[10])
    assert not editor.actions.undo.isEnabled()
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(session.doc.labels, states[10]), "the 10 oldest steps were dropped"
    for _ in range(100):
        QTest.keyClick(win, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(session.doc.labels, states[110])
    np.testing.assert_array_equal(win.view.main_pane.fill.image, states[110])


def test_save_writes_segments_files_marked_edited_and_reloads_the_same_bytes(qtbot, editing, monkeypatch):
    win, item, out = editing
    editor = win.editor
    editor.toolbar.paint_class.set_value(1)
    editor.toolbar.brush_size.setValue(9)
    drag(win, [(30, 30), (90, 60)])
    labels = editor.session.doc.labels.copy()
    QTest.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not editor.session.doc.dirty
    png, color, record = out / "scene0.png", out / "scene0_color.png", out / "scene0.json"
    classes = win.viewer.classes()
    reference = writers.output_paths(out.parent / "reference" / "scene0", ["label", "color"])
    writers.write_outputs(reference, item.image, replace(item.result, labels=labels), classes, "scene0.png", {})
    assert png.read_bytes() == reference["label"].read_bytes(), "segment's bytes for the same labels"
    assert color.read_bytes() == reference["color"].read_bytes()
    np.testing.assert_array_equal(read_label_map(png), labels)
    data = json.loads(record.read_text())
    assert data["edited"] is True and data["image"]["width"] == 128
    assert sum(c["pixels"] for c in data["classes"]) == labels.size
    assert win.settings.label_folder(win.viewer.folder_path) == out, "the chosen folder is remembered"
    assert win.folder.shown_status(editor.session.source)[0] == "edited"  # at once, not after leaving it
    first = png.read_bytes()
    # leave and come back: the saved labels are shown, not the model's
    QTest.keyClick(win, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: win.viewer.shown_path is not None and win.viewer.shown_path.name == "scene1.png"
                    and win.viewer.shown is not None, timeout=RESULT_TIMEOUT_MS)
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        QTest.keyClick(win, Qt.Key.Key_Left)
    np.testing.assert_array_equal(win.viewer.shown.result.labels, labels)
    # a label folder opened in review shows the same map; saving it again writes the same bytes
    assert win.review.open_labels_folder(out) is not None
    qtbot.waitUntil(lambda: win.viewer.shown is not None and win.viewer.shown.classes is not None,
                    timeout=RESULT_TIMEOUT_MS)
    np.testing.assert_array_equal(win.viewer.shown.result.labels, labels)
    assert editor.saver.save()
    assert png.read_bytes() == first


@pytest.mark.parametrize("way_out", ["next image", "folder list", "open folder", "new model", "close window"])
def test_every_way_out_asks_and_cancel_keeps_the_edits(qtbot, editing, monkeypatch, image_folder, tmp_path, way_out):
    win, item, out = editing
    editor = win.editor
    paint_a_dab(editor)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.png").write_bytes((image_folder / "scene2.png").read_bytes())
    loads = []
    monkeypatch.setattr(win.worker, "load_weights", lambda path: loads.append(path))

    def leave():
        if way_out == "next image":
            QTest.keyClick(win, Qt.Key.Key_Right)
        elif way_out == "folder list":
            win.folder.tree.setCurrentItem(win.folder.tree.topLevelItem(1))
        elif way_out == "open folder":
            win.open_path(other)
        elif way_out == "new model":
            win.load_weights(tmp_path / "model.safetensors")
        else:
            win.close()

    asked = answer(monkeypatch, Button.Cancel)
    leave()
    answer(monkeypatch, Button.Discard)  # should an assertion fail, closing the window must not ask
    assert asked == ["Unsaved label edits"]
    assert win.viewer.current == image_folder / "scene0.png" and editor.session.doc.dirty
    assert win.isVisible() and not loads
    assert win.folder.tree.currentItem().text(0) == "scene0.png", "the list goes back to the kept image"
    answer(monkeypatch, Button.Save)
    leave()
    assert (out / "scene0.png").exists() and json.loads((out / "scene0.json").read_text())["edited"]
    assert way_out != "new model" or loads


def test_discard_leaves_without_saving_and_autosave_saves_without_asking(qtbot, editing, monkeypatch):
    win, item, out = editing
    editor = win.editor
    paint_a_dab(editor)
    answer(monkeypatch, Button.Discard)
    with qtbot.waitSignal(win.viewer.currentChanged, timeout=RESULT_TIMEOUT_MS):
        QTest.keyClick(win, Qt.Key.Key_Right)
    assert not (out / "scene0.png").exists()
    qtbot.waitUntil(lambda: win.viewer.shown is not None and win.viewer.shown_path.name == "scene1.png",
                    timeout=RESULT_TIMEOUT_MS)
    assert editor.session.source.name == "scene1.png" and not editor.session.doc.dirty, "edits were dropped"
    editor.autosave.trigger()
    assert win.settings.autosave_edits()
    asked = answer(monkeypatch, Button.Cancel)
    paint_a_dab(editor, 20.5, 20.5)
    QTest.keyClick(win, Qt.Key.Key_Left)
    answer(monkeypatch, Button.Discard)
    assert not asked and (out / "scene1.png").exists()


def test_a_crash_loses_at_most_the_last_stroke(qtbot, editing, monkeypatch, image_folder):
    win, item, _out = editing
    editor = win.editor
    editor.toolbar.paint_class.set_value(3)
    editor.begin_stroke(10.5, 10.5)
    editor.stroke_to(60.5, 10.5)
    editor.end_stroke()
    editor.begin_stroke(10.5, 80.5)
    editor.end_stroke()
    edited = editor.session.doc.labels.copy()
    assert editor.recovery.flush()
    png, _ = recovery_files(editor.recovery.folder, image_folder / "scene0.png")
    np.testing.assert_array_equal(read_label_map(png), edited)
    editor.session = None  # the "crash": the session is gone without save or discard
    win.viewer.cache.clear()
    asked = answer(monkeypatch, Button.Yes)
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        win.viewer.show(image_folder / "scene0.png")
    assert asked == ["Recover label edits?"]
    assert editor.session is not None and editor.session.doc.dirty
    np.testing.assert_array_equal(editor.session.doc.labels, edited)
    np.testing.assert_array_equal(win.view.main_pane.fill.image, edited)
    editor.discard()
    assert not png.exists(), "discarding removes the recovery file"


def test_a_large_change_redraws_its_contours_band_by_band_between_events(qtbot, editing, monkeypatch):
    from app.gui import view_pane

    win, item, _ = editing
    monkeypatch.setattr(view_pane, "CONTOUR_BAND_PIXELS", 128 * 8)  # the 96 x 128 map in 12 bands
    editor, pane = win.editor, win.view.main_pane
    editor.toolbar.replace_from.set_value(int(np.bincount(item.result.labels.ravel()).argmax()))
    editor.toolbar.paint_class.set_value((editor.toolbar.replace_from.value() + 1) % 5)
    editor.replace_everywhere()
    assert pane._contour_todo, "the bands wait for the event loop"
    qtbot.waitUntil(lambda: not pane._contour_todo, timeout=RESULT_TIMEOUT_MS)
    labels = editor.session.doc.labels
    np.testing.assert_array_equal(pane._edges, contour_labels(labels, pane._num_classes,
                                                              contour_thickness(*labels.shape)))


def test_typing_in_a_text_box_is_not_taken_by_the_editor_keys(qtbot, editing):
    win, _item, _ = editing
    box = win.legend.filter
    box.setFocus()
    QTest.keyClicks(box, "bef")
    QTest.keyClick(box, Qt.Key.Key_Backspace)
    assert box.text() == "be", "B, E, F and Backspace went to the text box"
    assert win.editor.tool() == "brush", "E and F did not switch the tool"
