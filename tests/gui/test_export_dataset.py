"""File > Export Dataset...: the dialog runs the export on its own thread, with progress and cancel."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.imageio import read_label_map
from app.gui.export_dataset import ExportDatasetDialog, describe, suggested_destination
from app.interchange.checks import ExportError
from app.interchange.exporter import export_run
from tests.unit.export_scenes import make_run_folder


def test_dialog_exports_with_progress(qtbot, tmp_path):
    maps = make_run_folder(tmp_path)
    dialog = ExportDatasetDialog(tmp_path / "run")
    qtbot.addWidget(dialog)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("voc"))
    assert dialog.dest_edit.text() == str(tmp_path / "run_voc")  # follows the format
    dialog.export_button.click()
    assert dialog.is_running() or dialog.progress.value() > 0
    qtbot.waitUntil(lambda: not dialog.is_running() and dialog.export_button.isEnabled(), timeout=30_000)
    assert dialog.progress.value() == 3 and dialog.progress.maximum() == 3
    assert dialog.status.text().startswith("Exported 3 label map(s)")
    for name, expected in maps.items():
        assert np.array_equal(read_label_map(tmp_path / "run_voc" / "SegmentationClass" / f"{name}.png"), expected)


def test_existing_destination_is_refused_in_the_dialog(qtbot, tmp_path):
    make_run_folder(tmp_path)
    (tmp_path / "mine").mkdir()
    dialog = ExportDatasetDialog(tmp_path / "run")
    qtbot.addWidget(dialog)
    dialog.dest_edit.setText(str(tmp_path / "mine"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running() and dialog.export_button.isEnabled(), timeout=30_000)
    assert "exists; not replacing it" in dialog.status.text()
    assert list((tmp_path / "mine").iterdir()) == []
    # the dialog names its own box, not the command line's flag (which the CLI keeps)
    assert "--overwrite" not in dialog.status.text()
    assert f"tick '{dialog.overwrite_box.text()}' to replace it" in dialog.status.text()
    with pytest.raises(ExportError, match="use --overwrite to replace it"):
        export_run(tmp_path / "run", "coco", tmp_path / "mine")


def test_cancel_stops_the_thread_and_writes_nothing(qtbot, tmp_path):
    make_run_folder(tmp_path, seeds=tuple(range(1, 13)))
    dialog = ExportDatasetDialog(tmp_path / "run")
    qtbot.addWidget(dialog)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("labelme"))
    dialog.start()
    dialog.cancel()  # straight from the GUI thread, before the thread reaches the second map
    assert dialog.thread_.cancel_event.is_set()
    qtbot.waitUntil(lambda: not dialog.is_running() and dialog.export_button.isEnabled(), timeout=30_000)
    assert dialog.status.text() == "Cancelled: nothing was written."
    assert not suggested_destination(tmp_path / "run", "labelme").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "run"]


def test_describe_lists_failures_and_notes(tmp_path):
    from app.interchange.exporter import ExportReport

    report = ExportReport(tmp_path, "coco", exported=["a"], failures=["b.png: value 40"], notes=["n"])
    assert describe(report).splitlines() == [f"Exported 1 label map(s) to {tmp_path}.", "note: n",
                                             "1 not exported:", "  b.png: value 40"]
