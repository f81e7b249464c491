"""Labelling a folder from the window: the run, failures, cancel/resume, overwrite, closing."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from app.engine.writers import OUTPUT_FORMATS, output_paths
from app.gui.batch import BatchOptions
from app.gui.docks import ItemStatus
from app.gui.batch.summary import BatchSummaryDialog
from tests.gui.batch_fixtures import make_folder, outputs_state, start_and_wait
from tests.gui.conftest import RESULT_TIMEOUT_MS


def slow_images(monkeypatch, seconds: float = 0.25) -> None:
    """Each image takes a little longer, so a test can act while the run is in the middle."""
    import app.gui.batch.controller as controller

    real = controller.process_one

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(controller, "process_one", slow)


def answer_questions(monkeypatch, answer) -> list[str]:
    asked: list[str] = []

    def question(_parent, title, text, *_args, **_kwargs):
        asked.append(f"{title}: {text}")
        return answer

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def test_good_and_bad_files(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 3, broken=True)
    out = tmp_path / "labels"
    report = start_and_wait(qtbot, window, BatchOptions(folder, out))
    assert (report.count("ok"), report.count("failed"), report.count("skipped")) == (3, 2, 0)
    assert set(outputs_state(out, folder).values()) == {4}
    assert not list(out.glob("zz_broken*")) and not list(out.glob("empty*"))
    for name in ("labelmap.txt", "summary.json", "summary.csv"):
        assert (out / name).is_file()
    lines = window.batch.dock.failures.lines()  # selectable, copyable text
    assert len(lines) == 2 and any("zz_broken.jpg" in line for line in lines)
    assert all(": " in line and len(line.split(": ", 1)[1]) > 5 for line in lines)  # with a reason
    assert all(line.count(line.split(": ", 1)[0]) == 1 for line in lines)  # the path once
    window.batch.dock.failures.copy_all()
    from PySide6.QtGui import QGuiApplication
    assert "zz_broken.jpg" in QGuiApplication.clipboard().text()
    statuses = {p.name: window.folder.status(p) for p in window.folder.paths()}
    assert statuses["zz_broken.jpg"] == ItemStatus.FAILED and statuses["img00.png"] == ItemStatus.DONE
    assert window.findChildren(BatchSummaryDialog) == []  # no window pops up: the dock has the summary
    docked = window.batch.dock.summary_text.text()
    assert "3</b> labelled" in docked and "2</b> failed" in docked
    summary = window.batch.dock.show_details()  # its Details... button
    assert summary is not None and summary.isVisible()
    assert "3</b> labelled" in summary.text.text() and "2</b> failed" in summary.text.text()
    assert summary.failures.lines() == lines
    opened = []
    monkeypatch_open = pytest.MonkeyPatch()
    monkeypatch_open.setattr("app.gui.batch.summary.QDesktopServices.openUrl",
                             staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    summary.open_button.click()
    monkeypatch_open.undo()
    assert opened == [str(out)]


def test_cancel_then_resume_gives_the_files_of_an_uninterrupted_run(qtbot, window, tmp_path, tiny_loaded):
    folder = make_folder(tmp_path, 5)
    out = tmp_path / "labels"
    reference_loaded = copy.deepcopy(tiny_loaded)  # the worker owns the window's copy
    assert window.batch.start(BatchOptions(folder, out))
    run = window.batch.run
    run.fileFinished.connect(lambda _i, record: record.status == "ok" and window.batch.dock.cancel_button.click())
    with qtbot.waitSignal(run.finished, timeout=RESULT_TIMEOUT_MS):
        pass
    first = run.report
    assert first.cancelled and first.count("ok") == 1 and first.count("cancelled") == 4
    state = outputs_state(out, folder)
    assert sorted(state.values()) == [0, 0, 0, 0, 4]  # each image has all its files or none
    assert window.folder.status(folder / "img00.png") == ItemStatus.DONE
    assert window.folder.status(folder / "img04.png") == ItemStatus.PENDING

    second = start_and_wait(qtbot, window, BatchOptions(folder, out))
    assert (second.count("skipped"), second.count("ok"), second.cancelled) == (1, 4, False)
    assert window.folder.status(folder / "img00.png") == ItemStatus.SKIPPED

    from app.engine.batch import plan_jobs, run_batch
    from app.engine.segmenter import Segmenter

    reference_out = tmp_path / "reference"
    jobs, _ = plan_jobs([folder], reference_out)
    settings = reference_loaded.meta.protocol("fast").with_overrides(name="fast", flip=False)
    run_batch(jobs, Segmenter(reference_loaded, "cpu"), reference_out, OUTPUT_FORMATS, settings)
    for job in jobs:
        for fmt in ("label", "color"):
            ours = output_paths(out / job.stem.name, [fmt])[fmt]
            theirs = output_paths(job.stem, [fmt])[fmt]
            assert ours.read_bytes() == theirs.read_bytes(), f"{ours.name} differs from the CLI engine's"


def test_nothing_is_overwritten_without_confirmation(qtbot, window, tmp_path, monkeypatch):
    folder = make_folder(tmp_path, 2)
    out = tmp_path / "labels"
    start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label", "json")))
    files = sorted(p for p in out.iterdir() if p.name.startswith("img"))
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}

    asked = answer_questions(monkeypatch, QMessageBox.StandardButton.No)
    assert not window.batch.start(BatchOptions(folder, out, formats=("label", "json"), overwrite=True))
    assert len(asked) == 1 and "2 of 2 images" in asked[0]
    assert window.batch.run.report is not None and not window.batch.is_running()
    again = start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label", "json")))  # skip: no ask
    assert again.count("skipped") == 2 and len(asked) == 1
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == before

    asked = answer_questions(monkeypatch, QMessageBox.StandardButton.Yes)
    report = start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label", "json"), overwrite=True))
    assert len(asked) == 1 and report.count("ok") == 2
    assert all(p.stat().st_mtime_ns != before[p][0] for p in files)


def test_finished_images_show_saved_labels_while_the_batch_runs(qtbot, window, tmp_path, monkeypatch):
    slow_images(monkeypatch)
    folder = make_folder(tmp_path, 6)
    out = tmp_path / "labels"
    started: list[int] = []
    window.worker.requestStarted.connect(started.append)
    assert window.batch.start(BatchOptions(folder, out))
    run = window.batch.run
    qtbot.waitUntil(lambda: run.meter.done >= 1, timeout=RESULT_TIMEOUT_MS)
    first = folder / "img00.png"
    window.folder.select(folder / "img03.png")
    window.folder.tree.setCurrentItem(window.folder._items[str(first)])  # a click on the row
    assert run.is_running()
    assert window.viewer.shown_path == first  # shown at once, no model run
    shown = window.viewer.shown.result
    assert shown.device == "saved labels" and started == []
    saved = Image.open(out / "img00.png")
    import numpy as np
    assert np.array_equal(shown.labels, np.array(saved))
    assert window.viewer.readout_at(5, 5)[1] is None  # confidence is not saved: not invented
    window.batch.cancel()
    qtbot.waitUntil(lambda: not run.is_running(), timeout=RESULT_TIMEOUT_MS)


def test_closing_mid_batch_asks_then_cancels_and_a_new_run_resumes(qtbot, window, tmp_path, monkeypatch,
                                                                  tiny_loaded):
    slow_images(monkeypatch)
    folder = make_folder(tmp_path, 8)
    out = tmp_path / "labels"
    assert window.batch.start(BatchOptions(folder, out))
    run = window.batch.run
    qtbot.waitUntil(lambda: run.meter.done >= 1, timeout=RESULT_TIMEOUT_MS)

    asked = answer_questions(monkeypatch, QMessageBox.StandardButton.No)
    window.close()
    assert asked and window.isVisible() and run.is_running()  # "No" keeps the window and the run

    asked = answer_questions(monkeypatch, QMessageBox.StandardButton.Yes)
    t0 = time.perf_counter()
    window.close()
    assert time.perf_counter() - t0 < 2.0
    assert asked and not window.isVisible()
    assert not window.worker.thread_handle.isRunning()
    report = run.report
    assert report is not None and report.cancelled
    done = report.count("ok")
    assert 1 <= done < 8
    assert sorted(outputs_state(out, folder).values()) == [0] * (8 - done) + [4] * done
    assert (out / "summary.json").is_file()

    from app.gui.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        again.worker.start()
        again.worker.set_model(tiny_loaded)
    try:
        monkeypatch.undo()
        resumed = start_and_wait(qtbot, again, BatchOptions(folder, out))
        assert (resumed.count("skipped"), resumed.count("ok")) == (done, 8 - done)
        assert set(outputs_state(out, folder).values()) == {4}
    finally:
        again.close()


def test_dialog_collects_options_and_explains_problems(qtbot, window, tmp_path):
    from app.gui.batch import BatchDialog

    folder = make_folder(tmp_path, 3, broken=True)
    assert window.batch.action in window.actions_.menus["file"].actions()
    assert window.batch.button.text().startswith("Label Folder")
    dialog = BatchDialog(BatchOptions(Path(), Path()), ["auto", "cpu"], window)
    qtbot.addWidget(dialog)
    dialog.accept()
    assert dialog.result() != BatchDialog.DialogCode.Accepted and "Choose the folder" in dialog.error_label.text()
    dialog.input_edit.setText(str(tmp_path / "nowhere"))
    dialog.accept()
    assert "nowhere does not exist" in dialog.error_label.text()
    dialog.input_edit.setText(str(folder))
    dialog.input_edit.editingFinished.emit()
    assert dialog.output_edit.text() == str(tmp_path / "photos_labels")  # never among the photos
    assert "5 images found" in dialog.plan_label.text()
    for fmt in ("color", "overlay"):
        dialog.format_boxes[fmt].setChecked(False)
    dialog.recursive_box.setChecked(True)
    dialog.overwrite_radio.setChecked(True)
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    options = dialog.options()
    assert options == BatchOptions(folder, tmp_path / "photos_labels", True, ("label", "json"), "fast", "cpu", True)
    for box in dialog.format_boxes.values():
        box.setChecked(False)
    dialog.accept()
    assert "at least one output format" in dialog.error_label.text()


def test_a_folder_in_use_is_refused_and_edited_maps_are_kept(qtbot, window, tmp_path, monkeypatch):
    import json

    from tests.helpers import folder_lock_held_elsewhere

    folder = make_folder(tmp_path, 2)
    out = tmp_path / "labels"
    out.mkdir()
    with folder_lock_held_elsewhere(out):
        assert window.batch.start(BatchOptions(folder, out))
        with qtbot.waitSignal(window.batch.run.failedToStart, timeout=RESULT_TIMEOUT_MS) as refused:
            pass
        qtbot.waitUntil(lambda: not window.batch.is_running(), timeout=RESULT_TIMEOUT_MS)
    assert "in use by another run" in refused.args[0] and not list(out.glob("img*"))

    start_and_wait(qtbot, window, BatchOptions(folder, out))
    record = json.loads((out / "img00.json").read_text())
    (out / "img00.json").write_text(json.dumps({**record, "edited": True}))  # as the label editor marks it
    kept = {p.name: p.read_bytes() for p in out.glob("img00*")}
    answer_questions(monkeypatch, QMessageBox.StandardButton.Yes)
    report = start_and_wait(qtbot, window, BatchOptions(folder, out, overwrite=True))
    assert [r.status for r in report.records] == ["skipped", "ok"]
    assert "edited by hand" in report.records[0].notes[0] and "Also replace maps edited" in report.records[0].notes[0]
    assert {p.name: p.read_bytes() for p in out.glob("img00*")} == kept
    assert "<b>1</b> kept (edited by hand)" in window.batch.dock.summary_text.text()
    report = start_and_wait(qtbot, window, BatchOptions(folder, out, overwrite=True, replace_edited=True))
    assert report.count("ok") == 2 and "edited" not in json.loads((out / "img00.json").read_text())
