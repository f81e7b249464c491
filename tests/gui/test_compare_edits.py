"""The comparison follows the label editor: a stroke, an undo or a Revert changes the labels
shown, and the dock's figures, its table, the most-changed pairs and the disagreement layer
are those of the labels now shown against B's (worked out off the GUI thread, after a pause)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from app.gui.compare import follow_edits
from tests.gui.conftest import RESULT_TIMEOUT_MS
from tests.gui.editor_fixtures import Button, answer, drag
from tests.gui.test_compare import start_comparing
from tests.helpers import save_tiny_weights


@pytest.fixture
def editing_compared(qtbot, varied, tmp_path, monkeypatch):
    """scene2 (several classes) in Edit mode, compared with a second checkpoint (its answer drawn)."""
    window, _item = varied
    answer(monkeypatch, Button.Discard)  # the window closes at the end: unsaved edits go
    window.editor.set_edit_mode(True)
    link = start_comparing(qtbot, window, save_tiny_weights(tmp_path / "b"))
    settle(qtbot, link)
    return window, link


def settle(qtbot, link):
    """Wait until the answer drawn fits the labels on screen (nothing left to compute)."""
    qtbot.waitUntil(lambda: not link.follower.busy() and link.shown is not None
                    and link.follower.fits(link.shown, link.labels_on_screen()), timeout=RESULT_TIMEOUT_MS)


def agreeing(labels_a, labels_b):
    return int(np.count_nonzero(labels_a == labels_b))  # A and B share their class names here


def test_a_stroke_and_its_undo_change_the_figures_by_the_pixels_they_change(qtbot, editing_compared):
    window, link = editing_compared
    labels_b = link.shown.outcome.labels_b
    before = link.labels_on_screen().copy()
    assert link.shown.outcome.agreement.agreeing == agreeing(before, labels_b)
    # paint B's class of the stroke's middle over a band: those pixels now agree with B
    value = int(labels_b[48, 60])
    window.editor.toolbar.paint_class.set_value(value)
    window.editor.toolbar.brush_size.setValue(9)
    recomputed = link.follower.recomputed
    drag(window, [(20, 48), (60, 48), (100, 48)])
    after = link.labels_on_screen()
    gained = int(np.count_nonzero((before != labels_b) & (after == labels_b)))
    lost = int(np.count_nonzero((before == labels_b) & (after != labels_b)))
    assert gained > lost >= 0  # (a pixel B disagrees with both before and after counts in neither)
    assert link.follower.busy()  # after a pause, not at once: the figures are still the old ones
    assert link.shown.outcome.agreement.agreeing == agreeing(before, labels_b)
    settle(qtbot, link)
    assert link.follower.recomputed == recomputed + 1  # one pass for the whole stroke
    figures = link.shown.outcome.agreement
    assert figures.agreeing == agreeing(before, labels_b) + gained - lost
    assert f"({figures.agreeing:,} of {after.size:,} pixels)" in link.dock.summary.text()
    assert np.array_equal(link.overlay.image.astype(bool), after != labels_b)  # the layer drawn
    assert "(with your edits)" in link.dock.models.text()
    names = window.viewer.classes().names
    share = {row.name: row.pixels_a for row in figures.rows()}
    assert share[names[value]] == np.count_nonzero(after == value)  # the table's A column
    pairs = figures.top_confusions()
    assert link.dock.confusions.text().count("&rarr;") == len(pairs) + 1  # the title's arrow too
    assert f"{pairs[0][2]:,} px" in link.dock.confusions.text()
    assert np.array_equal(link.b_fill.image, labels_b)  # B's labels are B's: B did not run again

    window.editor.actions.undo.trigger()
    settle(qtbot, link)
    assert np.array_equal(link.labels_on_screen(), before)
    assert link.shown.outcome.agreement.agreeing == agreeing(before, labels_b)
    assert np.array_equal(link.overlay.image.astype(bool), before != labels_b)
    window.editor.actions.redo.trigger()
    settle(qtbot, link)
    assert link.shown.outcome.agreement.agreeing == agreeing(before, labels_b) + gained - lost


def test_revert_shows_the_comparison_the_worker_made(qtbot, editing_compared):
    window, link = editing_compared
    base = link.base
    window.editor.toolbar.paint_class.set_value(int(base.outcome.labels_b[10, 10]) + 1)
    drag(window, [(5, 10), (120, 10)])
    settle(qtbot, link)
    assert link.shown is not base
    recomputed = link.follower.recomputed
    window.editor.discard()  # Edit > Revert to Saved
    settle(qtbot, link)
    assert link.shown is base and link.follower.recomputed == recomputed  # nothing to work out
    assert "(with your edits)" not in link.dock.models.text()


def test_the_comparison_is_worked_out_off_the_gui_thread(qtbot, editing_compared, monkeypatch):
    """A slow comparison (as on a 6000 x 8000 map) runs on a pool thread: the GUI thread goes on
    turning its event loop meanwhile."""
    window, link = editing_compared
    threads, waited, original = [], [], follow_edits.compare_label_maps
    turned = threading.Event()  # the GUI thread's timer ticked ten times while the comparison waited

    def slow(*args, **kwargs):
        threads.append(threading.current_thread())
        waited.append(turned.wait(RESULT_TIMEOUT_MS / 1000))  # (on the GUI thread: in vain)
        return original(*args, **kwargs)
    monkeypatch.setattr(follow_edits, "compare_label_maps", slow)
    ticks = []  # counted once the comparison has started: no clock, so a loaded machine cannot fail it

    def tick() -> None:
        if threads:
            ticks.append(1)
        if len(ticks) >= 10:
            turned.set()
    ticker = QTimer(interval=20)
    ticker.timeout.connect(tick)
    ticker.start()
    drag(window, [(30, 30), (90, 60)])
    qtbot.waitUntil(lambda: bool(threads), timeout=RESULT_TIMEOUT_MS)
    assert "Updating for the edited labels" in link.dock.updating.text()
    settle(qtbot, link)
    ticker.stop()
    assert threads == [threads[0]] and threads[0] is not threading.main_thread()
    assert waited == [True]  # the event loop turned while the comparison was worked out
    assert not link.dock.updating.isVisible()


def test_edits_while_a_comparison_is_worked_out_get_their_own(qtbot, editing_compared, monkeypatch):
    window, link = editing_compared
    release, original = threading.Event(), follow_edits.compare_label_maps

    def held(*args, **kwargs):
        release.wait(RESULT_TIMEOUT_MS / 1000)
        return original(*args, **kwargs)
    monkeypatch.setattr(follow_edits, "compare_label_maps", held)
    value = int(link.base.outcome.labels_b[70, 64])
    window.editor.toolbar.paint_class.set_value(value)
    drag(window, [(10, 20), (40, 20)])
    qtbot.waitUntil(lambda: link.follower._running is not None, timeout=RESULT_TIMEOUT_MS)  # noqa: SLF001
    drag(window, [(10, 70), (120, 70)])  # a second stroke while the first is compared
    release.set()
    settle(qtbot, link)
    after = link.labels_on_screen()
    assert link.shown.outcome.agreement.agreeing == agreeing(after, link.base.outcome.labels_b)
    assert link.follower.recomputed >= 2


def test_an_edit_made_while_b_segments_is_in_the_figures_b_gives(qtbot, varied, tmp_path, monkeypatch):
    window, _item = varied
    answer(monkeypatch, Button.Discard)
    window.editor.set_edit_mode(True)
    link = window.compare
    link.start(save_tiny_weights(tmp_path / "b"))  # B loads and segments in the worker meanwhile
    window.editor.toolbar.paint_class.set_value(1)
    drag(window, [(10, 30), (110, 40)])
    settle(qtbot, link)
    after = link.labels_on_screen()
    assert link.shown.outcome.agreement.agreeing == agreeing(after, link.base.outcome.labels_b)
    assert np.array_equal(link.overlay.image.astype(bool), after != link.base.outcome.labels_b)


def test_saved_edits_seen_again_are_compared_with_the_kept_b_labels(qtbot, editing_compared, image_folder,
                                                                    tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window, link = editing_compared
    out = tmp_path / "labels"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    labels_b = link.base.outcome.labels_b
    window.editor.toolbar.paint_class.set_value(int(labels_b[50, 50]))
    drag(window, [(30, 50), (100, 50)])
    assert window.editor.saver.save()
    saved = link.labels_on_screen().copy()
    settle(qtbot, link)
    asked = []
    original = window.worker.submit_compare
    monkeypatch.setattr(window.worker, "submit_compare", lambda request: asked.append(request) or original(request))
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.show(image_folder / "scene1.png")
    settle(qtbot, link)
    assert len(asked) == 1  # B segments the new image
    window.viewer.show(image_folder / "scene2.png")  # back: the saved labels, B's kept answer
    settle(qtbot, link)
    assert len(asked) == 1 and link.shown.outcome.labels_b is labels_b  # B did not run again
    assert np.array_equal(link.labels_on_screen(), saved)
    assert link.shown.outcome.agreement.agreeing == agreeing(saved, labels_b) != link.base.outcome.agreement.agreeing
