"""The confidence threshold is kept between sessions: on/off and the global value as they
were, per-class values by class name (another class list gets the classes it shares)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSettings

from app.checkpoints.meta import LoadedModel
from app.classes import ClassInfo
from app.gui.settings import APPLICATION, ORGANIZATION, AppSettings
from app.labels.threshold import ConfidenceThreshold
from tests.gui.conftest import RESULT_TIMEOUT_MS


def open_window(qtbot, loaded):
    from app.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        win.worker.start()
        win.worker.set_model(loaded)
    return win


def test_the_next_window_has_the_same_threshold_and_class_values_follow_their_names(qtbot, window, tiny_loaded):
    dock = window.review.threshold_dock
    names = window.viewer.model.meta.classes.names
    dock.enabled.setChecked(True)
    dock.value.setValue(80)
    dock._spins[1].setValue(60)  # noqa: SLF001 - the class's spin box, as a user sets it
    dock.apply_now()
    window.close()  # the session ends (settings synced)

    again = open_window(qtbot, tiny_loaded)
    try:
        assert again.review.threshold_dock.settings() == ConfidenceThreshold(True, 0.8, {1: 0.6})
        again.review.threshold_dock.apply_now()
        assert again.viewer.threshold == ConfidenceThreshold(True, 0.8, {1: 0.6})
    finally:
        again.close()

    reordered = ClassInfo(tuple(reversed(names)), tuple(reversed(tiny_loaded.meta.classes.colors)))
    other = open_window(qtbot, LoadedModel(tiny_loaded.model, replace(tiny_loaded.meta, classes=reordered)))
    try:  # names[1] is at another index in this class list
        assert other.review.threshold_dock.settings().per_class == {len(names) - 2: 0.6}
        other.review.threshold_dock._spins[0].setValue(30)  # noqa: SLF001
        other.review.threshold_dock.apply_now()
    finally:
        other.close()
    assert AppSettings().threshold() == (True, 0.8, {names[1]: 0.6, names[-1]: 0.3})


def test_stored_values_that_are_not_thresholds_are_ignored():
    raw = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
    raw.setValue("review/threshold_on", "true")
    raw.setValue("review/threshold_global", "7")
    raw.setValue("review/threshold_classes", '{"sky": 0.25, "road": "x", "car": 1.5}')
    assert AppSettings(raw).threshold() == (True, 0.5, {"sky": 0.25})
    raw.setValue("review/threshold_classes", "not json")
    raw.setValue("review/threshold_global", "0")
    assert AppSettings(raw).threshold() == (True, 0.0, {})
