"""Big edits are computed off the GUI thread and applied in order: a stroke or an undo made
meanwhile waits in line, the window shows it is busy, and saving waits for the edit."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from app.editing import LabelMapEdit, prepared
from app.editing.recovery import read_recovery, recovery_files
from app.engine.imageio import read_label_map
from app.gui.editor import edit_queue, tool_edits
from tests.gui.conftest import RESULT_TIMEOUT_MS
from tests.gui.editor_fixtures import click, editing  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("editing")


@pytest.fixture
def threaded(monkeypatch, editing):  # noqa: F811
    """Every edit of the small test map goes to the edit thread, and the fills wait for ``gate``."""
    monkeypatch.setattr(tool_edits, "BACKGROUND_PIXELS", 0)
    monkeypatch.setattr(edit_queue, "DRAIN_BUDGET_MS", 0)  # what waited is replayed one per event-loop turn
    gate = threading.Event()
    real_fill = prepared.prepare_fill
    threads = []

    def gated_fill(*args):
        threads.append(threading.current_thread())
        assert gate.wait(10), "the test never opened the gate"
        return real_fill(*args)
    monkeypatch.setattr(prepared, "prepare_fill", gated_fill)
    return editing, gate, threads, real_fill


def test_a_stroke_and_an_undo_made_during_a_fill_wait_for_it_in_order(qtbot, threaded, monkeypatch):
    (win, _item, _out), gate, threads, real_fill = threaded
    editor, bar = win.editor, win.editor.toolbar
    doc = editor.ensure_session().doc
    twin = LabelMapEdit(doc.labels.copy(), doc.num_classes)  # the same edits, one after another
    start = doc.labels.copy()
    seed = int(doc.labels[40, 60])
    QTest.keyClick(win, Qt.Key.Key_F)
    bar.paint_class.set_value((seed + 1) % 5)
    click(win, 60.5, 40.5)
    twin.commit(real_fill(twin, 60, 40, (seed + 1) % 5))
    assert editor.busy() and not editor.actions.save.isEnabled() and not editor.actions.revert.isEnabled()
    qtbot.waitUntil(lambda: bar.busy_label.text().strip() == "Filling\u2026", timeout=RESULT_TIMEOUT_MS)
    assert win.view.graphics.viewport().cursor().shape() == Qt.CursorShape.BusyCursor
    bar.paint_class.set_value((seed + 2) % 5)
    QTest.keyClick(win, Qt.Key.Key_B)
    bar.brush_size.setValue(5)
    editor.begin_stroke(60.5, 40.5)
    editor.stroke_to(80.5, 40.5)
    editor.end_stroke()
    np.testing.assert_array_equal(doc.labels, start)  # nothing applied while the fill is computed
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undoes the stroke, not the fill
    assert editor.queue.waiting() >= 4
    turns, replayed = [0], []  # event-loop turns, and the turn each stroke action was replayed in
    ticker = QTimer(interval=0)
    ticker.timeout.connect(lambda: turns.__setitem__(0, turns[0] + 1))
    ticker.start()
    for name in ("_begin_stroke", "_stroke_to"):  # (the stroke's end was queued as a bound method)
        real = getattr(editor, name)
        monkeypatch.setattr(editor, name, lambda *args, real=real: (replayed.append(turns[0]), real(*args))[-1])
    gate.set()
    qtbot.waitUntil(lambda: not editor.busy(), timeout=RESULT_TIMEOUT_MS)
    ticker.stop()
    assert len(replayed) == len(set(replayed)) == 2, "one waiting action per event-loop turn"
    twin.begin_stroke()
    twin.stroke_to((60.5, 40.5), (60.5, 40.5), 5, (seed + 2) % 5)
    twin.stroke_to((60.5, 40.5), (80.5, 40.5), 5, (seed + 2) % 5)
    twin.end_stroke()
    twin.undo()
    np.testing.assert_array_equal(doc.labels, twin.labels)
    assert not np.array_equal(doc.labels, start), "the fill is there"
    assert (doc.history.undo_steps(), doc.history.redo_steps()) == (1, 1)
    assert threads and threads[0] is not threading.main_thread()
    np.testing.assert_array_equal(doc.counts, np.bincount(doc.labels.ravel(), minlength=doc.counts.size))
    np.testing.assert_array_equal(win.view.main_pane.fill.image, doc.labels)  # the view shows it
    assert bar.busy_label.text() == "" and editor.actions.save.isEnabled()
    QTest.keyClick(win, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # redo, on the thread too
    qtbot.waitUntil(lambda: not editor.busy(), timeout=RESULT_TIMEOUT_MS)
    twin.redo()
    np.testing.assert_array_equal(doc.labels, twin.labels)
    assert editor.recovery.flush()  # the recovery copy, made in line on the edit thread, is the last state
    found = read_recovery(editor.recovery.folder, editor.session.source, doc.shape, doc.num_classes)
    np.testing.assert_array_equal(found.labels, doc.labels)


def test_saving_waits_for_the_edit_in_progress(qtbot, threaded):
    (win, _item, out), gate, _threads, _fill = threaded
    editor = win.editor
    doc = editor.ensure_session().doc
    editor.toolbar.replace_from.set_value(int(doc.labels[10, 10]))
    editor.toolbar.paint_class.set_value((int(doc.labels[10, 10]) + 1) % 5)
    editor.replace_everywhere()
    assert editor.busy()
    gate.set()
    assert editor.saver.save()  # waits for the replace, then saves it
    assert not editor.busy() and not doc.dirty
    np.testing.assert_array_equal(read_label_map(out / "scene0.png"), doc.labels)
    assert doc.labels[10, 10] == editor.toolbar.paint_class.value()
    assert editor.recovery.flush()  # the edit's recovery copy came before the save removed it
    assert not any(path.exists() for path in recovery_files(editor.recovery.folder, editor.session.source))
