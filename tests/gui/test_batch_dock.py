"""The batch dock: no failures area while there are none; the run's summary shown in place,
with the details dialog (not modal) a button away."""

from __future__ import annotations

from app.gui.batch import BatchOptions
from app.gui.batch.summary import summary_html
from tests.gui.batch_fixtures import make_folder, start_and_wait


def test_no_failures_no_failures_area_and_the_summary_is_in_the_dock(qtbot, window, tmp_path, monkeypatch):
    dock = window.batch.dock
    folder = make_folder(tmp_path, 2)
    report = start_and_wait(qtbot, window, BatchOptions(folder, tmp_path / "labels"))
    assert dock.failures.isHidden() and not dock.summary_row.isHidden()
    text = dock.summary_text.text()
    assert "<b>Batch finished</b>" in text and "<b>2</b> labelled" in text and str(report.out_dir) in text
    assert text.endswith(summary_html(report, window.batch.run.run_files_error, window.batch.run.meter.rate()))
    opened: list[str] = []
    monkeypatch.setattr("app.gui.batch.summary.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    dock.open_button.click()
    assert opened == [str(report.out_dir)]


def test_failures_show_in_the_dock_and_the_details_dialog_is_not_modal(qtbot, window, tmp_path):
    dock = window.batch.dock
    folder = make_folder(tmp_path, 3, broken=True)
    start_and_wait(qtbot, window, BatchOptions(folder, tmp_path / "labels"))
    assert dock.failures.isVisible() and len(dock.failures.lines()) == 2
    assert "<b>2</b> failed" in dock.summary_text.text()
    dock.details_button.click()
    details = dock.details
    assert details is not None and details.isVisible() and not details.isModal()
    assert details.failures.lines() == dock.failures.lines()
    assert details.text.text() in dock.summary_text.text()
    dock.details_button.click()  # a second opening replaces the first
    assert dock.details is not details
    (tmp_path / "b").mkdir()
    folder2 = make_folder(tmp_path / "b", 1)  # a clean run next: the last run's failures go
    start_and_wait(qtbot, window, BatchOptions(folder2, tmp_path / "labels3"))
    assert dock.failures.isHidden() and "<b>0</b> failed" in dock.summary_text.text()
