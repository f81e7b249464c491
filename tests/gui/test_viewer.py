"""The viewer window driven like a user would: open, look, hover, toggle, move on."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import RESULT_TIMEOUT_MS, open_and_wait


def test_open_image_shows_photo_mask_legend_and_status(qtbot, window, image_folder):
    item = open_and_wait(qtbot, window, image_folder / "scene1.png")
    viewer, view = window.viewer, window.view
    assert viewer.shown_path == image_folder / "scene1.png"
    assert view.image_shape() == (96, 128)
    assert item.result.labels.shape == (96, 128)
    np.testing.assert_array_equal(view.main_pane.fill.image, item.result.labels)
    assert view.main_pane.fill.isVisible()
    rows = window.legend.rows()
    assert rows, "the legend lists the classes present"
    areas = [float(r[2].split()[0]) for r in rows]
    assert areas == sorted(areas, reverse=True)
    assert abs(sum(areas) - 100.0) < 0.5 * len(rows)
    assert window.folder.status(image_folder / "scene1.png").value == "done"
    assert window.folder.status(image_folder / "scene0.png").value == "pending"
    assert "ms" in window.readout.timing.text() or " s" in window.readout.timing.text()
    assert window.readout.device.text().startswith("device: cpu")


def test_opacity_acts_instantly_without_rerunning(qtbot, window, image_folder):
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    slider = window.actions_.opacity_slider
    ids_before = window.worker.next_id()
    slider.setValue(20)
    assert abs(window.view.main_pane.fill.opacity() - 0.20) < 1e-6
    QTest.keyClick(window, Qt.Key.Key_BracketRight)
    assert slider.value() == 30
    assert abs(window.view.main_pane.fill.opacity() - 0.30) < 1e-6
    assert window.worker.next_id() == ids_before + 1, "no request was sent to the worker"
    assert window.settings.opacity() == 30


def test_overlay_modes_and_toggle(qtbot, window, image_folder):
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    pane = window.view.main_pane
    window.set_overlay_mode("contour")
    assert pane.contour.isVisible() and not pane.fill.isVisible()
    window.set_overlay_mode("both")
    assert pane.contour.isVisible() and pane.fill.isVisible()
    QTest.keyClick(window, Qt.Key.Key_O)
    assert not pane.contour.isVisible() and not pane.fill.isVisible()
    QTest.keyClick(window, Qt.Key.Key_O)
    assert window.view.overlay_mode() == "both"
    window.set_confidence_map(True)
    assert pane.confidence.isVisible() and not pane.fill.isVisible()


def test_class_toggle_and_highlight_only_change_the_lookup_table(qtbot, window, image_folder):
    item = open_and_wait(qtbot, window, image_folder / "scene2.png")
    fill = window.view.main_pane.fill
    image_before = fill.image
    cls = item.result.present_classes()[0]
    assert fill.lut[cls, 3] == 255
    window.legend.set_class_visible(cls, False)
    assert fill.lut[cls, 3] == 0
    assert fill.image is image_before, "the label image is not rebuilt"
    window.legend.set_class_visible(cls, True)
    assert fill.lut[cls, 3] == 255
    other = (cls + 1) % len(window.viewer.model.meta.classes)
    window.legend.set_highlight(cls)
    assert fill.lut[cls, 3] == 255 and 0 < fill.lut[other, 3] < 255
    window.legend.set_highlight(-1)
    assert fill.lut[other, 3] == 255


def test_hover_reads_out_pixel_class_and_confidence(qtbot, window, image_folder):
    item = open_and_wait(qtbot, window, image_folder / "scene0.png")
    x, y = 40, 30
    view = window.view
    scene_pos = view.main_pane.view.mapViewToScene(QPointF(x + 0.5, y + 0.5))
    with qtbot.waitSignal(view.cursorMoved, timeout=2000) as blocker:
        view.graphics.scene().sigMouseMoved.emit(scene_pos)
    assert blocker.args == [x, y]
    text = window.readout.cursor.text()
    name = window.viewer.model.meta.classes.names[int(item.result.labels[y, x])]
    assert f"x {x}  y {y}" in text and name in text
    assert f"{100 * float(item.result.confidence[y, x]):.1f} %" in text


def test_bad_image_gives_message_and_app_stays_usable(qtbot, window, image_folder):
    with qtbot.waitSignal(window.viewer.message, timeout=RESULT_TIMEOUT_MS) as blocker:
        window.viewer.open_path(image_folder / "zz_broken.jpg")
    level, text = blocker.args
    assert level == "error" and "zz_broken.jpg" in text
    assert window.messages.isVisible() and "zz_broken.jpg" in window.messages.message()
    assert window.folder.status(image_folder / "zz_broken.jpg").value == "failed"
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    assert window.viewer.shown_path == image_folder / "scene0.png"


def test_going_back_is_served_from_the_cache(qtbot, window, image_folder):
    first = open_and_wait(qtbot, window, image_folder / "scene0.png")
    open_and_wait(qtbot, window, image_folder / "scene1.png")
    ids_before = window.worker.next_id()
    with qtbot.waitSignal(window.viewer.resultShown, timeout=100) as blocker:
        QTest.keyClick(window, Qt.Key.Key_Left)
    assert blocker.args[0] is first
    assert window.worker.next_id() == ids_before + 1, "no request was sent to the worker"


def test_no_weights_offers_open_weights(qtbot):
    from app.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.start(None, None)
    assert win.messages.isVisible() and win.messages.level == "error"
    assert win.messages.action_button.isVisible()
    assert "Open Weights" in win.messages.action_button.text()
    win.close()
    assert not win.worker.thread_handle.isRunning()
