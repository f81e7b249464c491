"""Save dialogs start in the last folder saved into, else the image's folder, never the
process's current directory, and propose a name made from the image's."""

from __future__ import annotations

from pathlib import Path

from tests.gui.conftest import RESULT_TIMEOUT_MS


class FakeDialog:
    """Records what each save dialog proposed and answers with the next queued path."""

    def __init__(self, answers: list[Path]) -> None:
        self.proposed: list[Path] = []
        self.answers = list(answers)

    def __call__(self, _parent, _title, start, _filter):  # noqa: ANN001, ANN204
        self.proposed.append(Path(start))
        return (str(self.answers.pop(0)) if self.answers else "", "")


def test_suggested_path_uses_the_last_folder_then_the_images_and_never_the_photo(tmp_path):
    from app.gui.save_location import suggested_path

    photo = tmp_path / "photos" / "street.png"
    assert suggested_path(photo, "_color.png", None, "x") == photo.parent / "street_color.png"
    assert suggested_path(photo, ".png", None, "x") == photo.parent / "street_labels.png"  # not the photo
    assert suggested_path(photo, ".png", tmp_path, "x") == tmp_path / "street.png"
    assert suggested_path(None, "_ppm_map.png", None, "pspnet") == Path.home() / "pspnet_ppm_map.png"


def test_export_dialog_starts_beside_the_image_then_in_the_folder_last_saved_into(
        qtbot, window, image_folder, tmp_path, monkeypatch):
    from app.gui import save_location

    exports = tmp_path / "exports"
    exports.mkdir()
    dialog = FakeDialog([exports / "mine", exports / "scene1_overlay.jpg"])
    monkeypatch.setattr(save_location.QFileDialog, "getSaveFileName", dialog)
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.open_path(image_folder / "scene0.png")
    saved = window.export_current("color")
    assert dialog.proposed[0] == image_folder / "scene0_color.png"
    assert saved is None  # export_current on the window returns nothing; the file tells
    assert (exports / "mine.png").is_file()  # the extension added to a bare name

    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.open_path(image_folder / "scene1.png")
    window.export_current("overlay")
    assert dialog.proposed[1] == exports / "scene1_overlay.jpg"  # the folder last saved into
    assert (exports / "scene1_overlay.jpg").is_file()
    assert window.settings.last_save_folder() == exports  # and remembered for the next run

    window.export_current("label")  # cancelled: nothing written, nothing remembered
    assert dialog.proposed[2] == exports / "scene1.png"
    assert sorted(p.name for p in exports.iterdir()) == ["mine.png", "scene1_overlay.jpg"]


def test_inspector_save_dialog_is_named_after_the_image(qtbot, window, image_folder, monkeypatch):
    from app.gui import save_location

    dialog = FakeDialog([])
    monkeypatch.setattr(save_location.QFileDialog, "getSaveFileName", dialog)
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.open_path(image_folder / "scene2.png")
    window.inspector.dock._ask_png()
    window.inspector.dock._ask_npz()
    assert dialog.proposed == [image_folder / "scene2_ppm_map.png", image_folder / "scene2_ppm_activations.npz"]
