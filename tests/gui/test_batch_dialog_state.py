"""The Label Folder dialog and the batch dock tell the truth about what they can do."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image

from app.gui.batch import BatchDialog, BatchOptions
from app.gui.batch.options import RateMeter
from app.gui.batch.summary import summary_text
from tests.gui.conftest import RESULT_TIMEOUT_MS


def _folder(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(count):
        Image.new("RGB", (40, 30), (i * 40, 90, 160)).save(folder / f"p{i}.png")
    return folder


def test_cancel_is_disabled_until_a_run_is_attached(qtbot, window):
    assert not window.batch.dock.cancel_button.isEnabled()


def test_the_found_count_follows_typing_without_leaving_the_field(qtbot, window, tmp_path):
    folder = _folder(tmp_path, 3)
    dialog = BatchDialog(BatchOptions(Path(), Path()), ["auto", "cpu"], window)
    qtbot.addWidget(dialog)
    dialog.output_edit.setText(str(tmp_path / "out"))
    dialog.input_edit.setFocus()
    qtbot.keyClicks(dialog.input_edit, str(folder))  # no editingFinished: the field keeps focus
    qtbot.waitUntil(lambda: "3 images found" in dialog.plan_label.text(), timeout=RESULT_TIMEOUT_MS)


def test_no_to_overwriting_brings_the_dialog_back(qtbot, window, monkeypatch):
    shown: list[int] = []
    answers = iter([BatchDialog.DialogCode.Accepted, BatchDialog.DialogCode.Rejected])

    def exec_(self) -> int:
        shown.append(1)
        return next(answers)

    monkeypatch.setattr(BatchDialog, "exec", exec_)
    monkeypatch.setattr(window.batch, "start", lambda options: False)  # e.g. "No" to overwriting
    window.batch.open_dialog()
    assert len(shown) == 2  # shown again after the declined start; Cancel then leaves


def test_the_rate_counts_segmenting_time_only_and_the_summary_shows_the_same(tmp_path):
    meter = RateMeter(total=4)
    for _ in range(2):
        meter.finish(segmented=False)  # resumed: skipped files are free and take no time
    meter.begin_segment()
    time.sleep(0.05)
    meter.finish(segmented=True)
    rate = meter.rate()
    assert 0 < rate < 40  # one image in >= 50 ms, not "102 images/s" from the skips
    time.sleep(0.05)
    assert meter.rate() == rate  # idle time after the last image does not lower it

    from app.engine.batch import BatchReport

    report = BatchReport(tmp_path, [], 10.0, False)
    assert f"{rate:.2f} images/s" in summary_text(report, rate)
