"""Export Dataset's "Export:" choice: counts from review.json, only the chosen maps written, kept."""

from __future__ import annotations

from app.engine.imageio import read_label_map
from app.gui.export_dataset import ExportDatasetDialog
from app.interchange.selection import Selection
from app.labels.review import ReviewState, ReviewStore
from tests.unit.export_scenes import make_run_folder


def texts(dialog: ExportDatasetDialog) -> list[str]:
    return [dialog.only_combo.itemText(i) for i in range(dialog.only_combo.count())]


def test_choice_shows_counts_exports_only_the_accepted_and_is_kept(qtbot, tmp_path):
    maps = make_run_folder(tmp_path)
    store = ReviewStore(tmp_path / "run")
    store.set_state("scene_1.png", ReviewState.ACCEPTED)
    store.set_state("sub/scene_3.png", ReviewState.NEEDS_WORK)
    dialog = ExportDatasetDialog(tmp_path / "run")
    qtbot.addWidget(dialog)
    assert texts(dialog) == ["All label maps (3 of 3)", "Accepted only (1 of 3)", "All but needs work (2 of 3)"]
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("voc"))
    dialog.only_combo.setCurrentIndex(dialog.only_combo.findData(Selection.ACCEPTED))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not dialog.is_running() and dialog.export_button.isEnabled(), timeout=30_000)
    assert dialog.status.text().startswith("Exported 1 label map(s)")
    assert "left out 2 of 3 label map(s) (accepted only): 1 unreviewed, 1 needs work" in dialog.details.toPlainText()
    written = sorted(p.name for p in (tmp_path / "run_voc" / "SegmentationClass").rglob("*.png"))
    assert written == ["scene_1.png"]
    assert (read_label_map(tmp_path / "run_voc" / "SegmentationClass" / "scene_1.png") == maps["scene_1"]).all()
    # a mark set meanwhile: the counts follow, the choice stays the user's
    store.set_state("scene_2.png", ReviewState.ACCEPTED)
    dialog.refresh_counts()
    assert dialog.only == Selection.ACCEPTED and dialog.only_combo.currentText() == "Accepted only (2 of 3)"


def test_a_choice_of_none_is_refused_in_the_dialog(qtbot, tmp_path):
    make_run_folder(tmp_path)
    dialog = ExportDatasetDialog(tmp_path / "run")
    qtbot.addWidget(dialog)
    dialog.only_combo.setCurrentIndex(dialog.only_combo.findData(Selection.ACCEPTED))
    assert dialog.only_combo.currentText() == "Accepted only (0 of 3)"
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running() and dialog.export_button.isEnabled(), timeout=30_000)
    assert dialog.status.text().startswith("nothing to export: no label map is accepted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "run"]


def test_counts_follow_the_run_folder_and_an_unreadable_one_shows_plain_titles(qtbot, tmp_path):
    dialog = ExportDatasetDialog(None)
    qtbot.addWidget(dialog)
    assert texts(dialog) == ["All label maps", "Accepted only", "All but needs work"]
    make_run_folder(tmp_path)
    ReviewStore(tmp_path / "run").set_state("scene_2.png", ReviewState.NEEDS_WORK)
    dialog.run_edit.setText(str(tmp_path / "run"))
    dialog.run_edit.editingFinished.emit()
    assert texts(dialog)[2] == "All but needs work (2 of 3)"
    dialog.run_edit.setText(str(tmp_path / "photos"))
    dialog.run_edit.editingFinished.emit()
    assert texts(dialog)[1] == "Accepted only" and "no labelmap.txt" in dialog.only_combo.toolTip()


def test_file_menu_dialog_keeps_the_choice_and_recounts_when_opened_again(qtbot, window, tmp_path):
    make_run_folder(tmp_path)
    link = window.export_dataset
    link.open_dialog()
    dialog = link.dialog
    dialog.run_edit.setText(str(tmp_path / "run"))
    dialog.run_edit.editingFinished.emit()
    dialog.only_combo.setCurrentIndex(dialog.only_combo.findData(Selection.NOT_NEEDS_WORK))
    assert dialog.only_combo.currentText() == "All but needs work (3 of 3)"
    dialog.close()
    ReviewStore(tmp_path / "run").set_state("scene_1.png", ReviewState.NEEDS_WORK)  # marked meanwhile
    link.open_dialog()
    assert link.dialog is dialog and dialog.only == Selection.NOT_NEEDS_WORK
    assert dialog.only_combo.currentText() == "All but needs work (2 of 3)"
