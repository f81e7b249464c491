"""Model > Compare With Recent: the checkpoints compared with are remembered between runs, the
dialog opens in the last one's folder, one click loads it again, and a file gone or changed
gives a clear message; nothing is loaded at start-up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.gui.settings import AppSettings
from tests.gui.conftest import RESULT_TIMEOUT_MS
from tests.gui.test_compare import start_comparing
from tests.helpers import save_tiny_weights


def entries(link):
    link.recent.fill()  # as when the submenu opens
    return [a for a in link.recent.menu.actions() if a.toolTip() and not a.isSeparator()
            and a.text() != "Clear This List"]


def stop(qtbot, link):
    link.stop()
    qtbot.waitUntil(lambda: not link.comparing(), timeout=RESULT_TIMEOUT_MS)


def test_a_model_compared_with_is_remembered_and_loads_again_in_one_click(qtbot, varied, tmp_path, monkeypatch):
    window, _item = varied
    link = window.compare
    assert not link.recent.menu.isEnabled()  # nothing compared with yet
    weights = save_tiny_weights(tmp_path / "models_b")
    start_comparing(qtbot, window, weights)
    stat = weights.stat()
    remembered = AppSettings().compared_models()  # another reader of the same settings file: the next run
    assert [(Path(e.path), e.size, e.mtime_ns) for e in remembered] == [(weights.resolve(), stat.st_size,
                                                                          stat.st_mtime_ns)]
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda parent, title, start, filters: asked.append(start) or ("", "")))
    link.choose_model()
    assert asked == [str(weights.resolve().parent)]  # the dialog opens where B was
    stop(qtbot, link)
    (action,) = entries(link)
    assert link.recent.menu.isEnabled() and action.text().startswith("tiny.safetensors")
    action.trigger()
    qtbot.waitUntil(lambda: link.shown is not None, timeout=RESULT_TIMEOUT_MS)
    assert link.comparing() and link.model_b.source == str(weights.resolve())
    assert "changed since" not in window.messages.text.text()  # the same file: nothing to say


def test_the_next_run_offers_b_but_does_not_load_it(qtbot, varied, tmp_path):
    from app.gui.main_window import MainWindow

    window, _item = varied
    start_comparing(qtbot, window, save_tiny_weights(tmp_path / "b"))
    later = MainWindow()  # a new run: its settings are the same file
    qtbot.addWidget(later)
    assert later.compare.recent.menu.isEnabled() and len(entries(later.compare)) == 1
    assert not later.compare.comparing() and not later.compare.loading
    assert not [t for t in later.worker._tasks if t.kind.startswith("compare_")]  # noqa: SLF001
    later.close()


@pytest.fixture
def compared_once(qtbot, varied, tmp_path):
    """B compared with once, then comparing stopped: (window, its link, B's file)."""
    window, _item = varied
    weights = save_tiny_weights(tmp_path / "b")
    start_comparing(qtbot, window, weights)
    stop(qtbot, window.compare)
    return window, window.compare, weights


def test_a_changed_file_loads_with_a_note_and_a_missing_one_is_refused(qtbot, compared_once, tmp_path):
    window, link, weights = compared_once
    later = weights.stat().st_mtime_ns + 3_600_000_000_000  # saved again an hour later
    os.utime(weights, ns=(later, later))
    entries(link)[0].trigger()
    qtbot.waitUntil(lambda: link.shown is not None, timeout=RESULT_TIMEOUT_MS)
    assert window.messages.isVisible() and window.messages.level == "info"
    assert "tiny.safetensors has changed since you last compared with it" in window.messages.text.text()
    assert AppSettings().compared_models()[0].mtime_ns == later  # remembered as it is now
    stop(qtbot, link)
    window.messages.show_message("", "info")
    entries(link)[0].trigger()  # unchanged this time: no note
    qtbot.waitUntil(lambda: link.shown is not None, timeout=RESULT_TIMEOUT_MS)
    assert "changed since" not in window.messages.text.text()
    stop(qtbot, link)

    shutil.move(weights, tmp_path / "moved.safetensors")
    entries(link)[0].trigger()
    assert not link.loading and not link.comparing()  # nothing was asked of the worker
    assert window.messages.level == "error"
    assert f"tiny.safetensors is no longer there ({weights.resolve()})" in window.messages.text.text()
    assert AppSettings().compared_models() == [] and not link.recent.menu.isEnabled()
    assert window.settings.recent("weights") == []


def test_a_remembered_file_that_no_longer_loads_says_it_changed(qtbot, compared_once):
    window, link, weights = compared_once
    weights.write_bytes(b"overwritten by something that is no checkpoint")
    entries(link)[0].trigger()
    qtbot.waitUntil(lambda: not link.loading, timeout=RESULT_TIMEOUT_MS)
    text = window.messages.text.text()
    assert window.messages.level == "error" and text.startswith("Compare With Model:")
    assert "has changed since you last compared with it" in text and not link.comparing()
    assert len(AppSettings().compared_models()) == 1  # kept: the user may put the file back


def test_a_hand_edited_list_that_makes_no_sense_is_an_empty_one(window):
    from PySide6.QtCore import QSettings

    raw = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "PSPNetStudio", "PSPNet Studio")
    for text in ("not json", '{"path": "x"}', '[{"path": "x", "size": "big", "mtime_ns": 1}]', "[3]"):
        raw.setValue("compare/recent_models", text)
        raw.sync()
        assert AppSettings().compared_models() == []
    window.compare.recent.update()
    assert not window.compare.recent.menu.isEnabled()
    assert window.compare.recent.start_folder() == ""  # no weights remembered either


def test_file_clear_recent_forgets_the_compared_models_too(qtbot, compared_once):
    window, link, weights = compared_once
    assert link.recent.menu.isEnabled()
    window.settings.add_recent("weights", weights)  # File > Open Recent has something to clear
    window.fill_recent_menu()
    (clear,) = [a for a in window.actions_.recent_menu.actions() if a.text() == "Clear Recent"]
    clear.trigger()
    assert AppSettings().compared_models() == [] and not link.recent.menu.isEnabled()
    assert window.settings.recent("weights") == []
