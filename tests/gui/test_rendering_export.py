"""Lookup tables, contours, export files and settings persistence."""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.viewing.rendering import boundary_mask, contour_labels, overlay_lut
from tests.gui.conftest import RESULT_TIMEOUT_MS


def test_overlay_lut_visibility_and_highlight():
    palette = np.array([[10, 20, 30], [40, 50, 60], [70, 80, 90]], np.uint8)
    lut = overlay_lut(palette)
    assert lut.shape == (4, 4) and lut[3, 3] == 0 and (lut[:3, 3] == 255).all()
    np.testing.assert_array_equal(lut[:3, :3], palette)
    lut = overlay_lut(palette, visible=np.array([True, False, True]), highlight=2)
    assert lut[1, 3] == 0 and lut[2, 3] == 255 and 0 < lut[0, 3] < 255


def test_contours_follow_class_boundaries():
    labels = np.zeros((6, 6), np.uint8)
    labels[:, 3:] = 1
    edge = boundary_mask(labels)
    assert edge[:, 2:4].all() and not edge[:, :2].any() and not edge[:, 4:].any()
    out = contour_labels(labels, num_classes=2)
    assert (out[:, 0] == 2).all() and (out[:, 2] == 0).all() and (out[:, 3] == 1).all()
    assert boundary_mask(labels, thickness=2)[:, 1:5].all()


def test_export_writes_label_colour_and_overlay(qtbot, window, image_folder, tmp_path):
    from app.gui.export import export_current

    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as blocker:
        window.viewer.open_path(image_folder / "scene0.png")
    labels = blocker.args[0].result.labels
    out = tmp_path / "out"
    out.mkdir()
    label_path = export_current(window, "label", out / "scene0.png")
    saved = Image.open(label_path)
    assert saved.mode == "P"
    np.testing.assert_array_equal(np.asarray(saved), labels)
    color = np.asarray(Image.open(export_current(window, "color", out / "scene0_color.png")))
    palette = window.viewer.model.meta.classes.palette
    np.testing.assert_array_equal(color, palette[labels])
    with Image.open(export_current(window, "overlay", out / "scene0_overlay.jpg")) as overlay:
        assert overlay.size == (128, 96) and overlay.format == "JPEG"
    assert sorted(p.name for p in out.iterdir()) == ["scene0.png", "scene0_color.png", "scene0_overlay.jpg"]


def test_export_matches_the_segment_command_writers(qtbot, window, image_folder, tmp_path):
    """The same result written by the engine's write_outputs gives identical files."""
    from app.engine.writers import output_paths, write_outputs
    from app.gui.export import default_target, export_current

    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as blocker:
        window.viewer.open_path(image_folder / "scene1.png")
    shown = blocker.args[0]
    engine_dir, gui_dir = tmp_path / "engine", tmp_path / "gui"
    paths = output_paths(engine_dir / "scene1", ["label", "color", "overlay"])
    write_outputs(paths, shown.image, shown.result, window.viewer.model.meta.classes, "scene1.png", {})
    gui_dir.mkdir()
    for kind, engine_file in paths.items():
        assert default_target(tmp_path / "scene1.jpg", kind).name == engine_file.name
        target = gui_dir / engine_file.name
        assert export_current(window, kind, target) == target
        assert target.read_bytes() == engine_file.read_bytes(), kind
    # Next to a PNG photo the label map must not take the photo's own name.
    assert default_target(image_folder / "scene1.png", "label").name == "scene1_labels.png"


def test_settings_survive_a_restart(qtbot, window, image_folder):
    from app.gui.main_window import MainWindow
    from app.gui.settings import AppSettings

    window.actions_.opacity_slider.setValue(73)
    window.set_overlay_mode("contour")
    window.open_path(image_folder / "scene2.png")
    window.open_path(image_folder)
    window.close()
    settings = AppSettings()
    assert settings.opacity() == 73 and settings.overlay_mode() == "contour"
    assert settings.recent("files")[0].endswith("scene2.png")
    assert settings.recent("folders")[0] == str(image_folder.resolve())
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.actions_.opacity_slider.value() == 73
    assert again.view.overlay_mode() == "contour"
    again.close()
