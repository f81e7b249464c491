"""Why a Label Folder run would do nothing is said where the user looks: the dialog's
message area while choosing, the window's message bar when a run is asked for."""

from __future__ import annotations

from pathlib import Path

from app.gui.batch import BatchDialog, BatchOptions
from tests.gui.batch_fixtures import make_folder

SAME_FOLDER = "holds every input image (2, e.g. img00.png)"


def test_the_dialog_names_an_output_folder_that_is_the_input_folder(qtbot, window, tmp_path):
    """It said '0 images found' beside a folder of photos, and Start closed it for nothing."""
    folder = make_folder(tmp_path, 2)
    dialog = BatchDialog(BatchOptions(folder, folder), ["auto"], window)
    qtbot.addWidget(dialog)
    assert SAME_FOLDER in dialog.error_label.text() and "outside the input folder" in dialog.error_label.text()
    assert "0 images found" not in dialog.plan_label.text()
    dialog.accept()
    assert dialog.result() != BatchDialog.DialogCode.Accepted and SAME_FOLDER in dialog.error_label.text()
    dialog.output_edit.setText(str(tmp_path / "labels"))
    dialog.output_edit.editingFinished.emit()
    assert dialog.error_label.text() == "" and "2 images found" in dialog.plan_label.text()


def test_the_dialog_names_an_output_folder_above_the_input_folder(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 2)
    dialog = BatchDialog(BatchOptions(folder, tmp_path, recursive=True), ["auto"], window)
    qtbot.addWidget(dialog)
    assert SAME_FOLDER in dialog.error_label.text()


def test_the_window_says_why_a_run_does_not_start(qtbot, window, tmp_path):
    """It said '... holds no images to label' of a folder full of them."""
    folder = make_folder(tmp_path, 2)
    assert not window.batch.start(BatchOptions(folder, folder))
    shown = window.messages.message()
    assert SAME_FOLDER in shown and "holds no images" not in shown
    assert window.messages.level == "warning" and window.batch.run is None


def test_the_window_names_an_output_that_is_a_file(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 2)
    (tmp_path / "out.txt").write_text("the user's notes")
    assert not window.batch.start(BatchOptions(folder, tmp_path / "out.txt"))
    assert "is a file, not a folder" in window.messages.message()
    assert (tmp_path / "out.txt").read_text() == "the user's notes"


def test_an_empty_folder_is_still_called_empty(qtbot, window, tmp_path):
    (tmp_path / "empty").mkdir()
    assert not window.batch.start(BatchOptions(tmp_path / "empty", tmp_path / "labels"))
    assert "holds no images to label" in window.messages.message()
    assert not Path(tmp_path / "labels").exists()
