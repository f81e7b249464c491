"""The PPM inspector hosted by the main window: capture while open, clicks, overlay."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.gui.conftest import RESULT_TIMEOUT_MS, scene


def _open_with_inspector(qtbot, window, path):
    window.inspector.action.trigger()
    assert window.inspector.dock.isVisible() and window.viewer.capture
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.open_path(path)
    qtbot.waitUntil(lambda: window.inspector.dock.acts is not None, timeout=RESULT_TIMEOUT_MS)


def _click_image_pixel(qtbot, window, x: int, y: int) -> None:
    view = window.view.main_pane.view
    scene_pos = view.mapViewToScene(QPointF(x + 0.5, y + 0.5))
    widget_pos = window.view.graphics.mapFromScene(scene_pos)
    qtbot.mouseClick(window.view.graphics.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(int(widget_pos.x()), int(widget_pos.y())))


def test_open_image_with_inspector_gives_activations_and_click_splits_pixel(qtbot, window, tmp_path):
    path = tmp_path / "scene.png"
    Image.fromarray(scene(7)).save(path)
    _open_with_inspector(qtbot, window, path)
    dock = window.inspector.dock
    assert window.viewer.shown.result.activations is not None
    assert dock.acts.geometry.image_size == (96, 128)
    assert dock.stack.currentWidget() is dock.tabs

    dock.tabs.setCurrentWidget(dock.contrib_tab)
    qtbot.waitUntil(lambda: dock.contrib_tab.maps is not None, timeout=RESULT_TIMEOUT_MS)
    clicks = []
    window.view.pixelClicked.connect(lambda x, y: clicks.append((x, y)))
    _click_image_pixel(qtbot, window, 40, 30)
    assert clicks == [(40, 30)]  # a real click on the main view, in photo pixels
    qtbot.waitUntil(lambda: dock.contrib_tab.attribution is not None, timeout=RESULT_TIMEOUT_MS)
    att = dock.contrib_tab.attribution
    assert (att.x, att.y) == (40, 30)
    heights = dock.contrib_tab.bars.opts["height"]
    assert len(heights) == len(att.shares) + 1  # one bar per part plus the bias
    assert np.allclose(heights, np.append(att.shares, att.bias))
    assert att.class_index == int(window.viewer.shown.result.labels[30, 40])


def test_opening_the_inspector_reruns_the_current_image_with_capture(qtbot, window, tmp_path):
    path = tmp_path / "scene.png"
    Image.fromarray(scene(3)).save(path)
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.open_path(path)
    assert window.viewer.shown.result.activations is None  # closed inspector: no capture
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.inspector.action.trigger()
    assert window.viewer.shown.result.activations is not None
    qtbot.waitUntil(lambda: window.inspector.dock.acts is not None, timeout=RESULT_TIMEOUT_MS)
    window.inspector.action.trigger()  # closing it stops capturing
    assert not window.viewer.capture


def test_dock_overlay_is_drawn_over_the_photo(qtbot, window, tmp_path):
    path = tmp_path / "scene.png"
    Image.fromarray(scene(5)).save(path)
    _open_with_inspector(qtbot, window, path)
    maps = window.inspector.dock.maps_tab
    maps.send_box.setChecked(True)
    item = window.inspector.overlay
    qtbot.waitUntil(lambda: item.image is not None and item.isVisible(), timeout=RESULT_TIMEOUT_MS)
    assert item.image.shape[2] == 4
    rect = item.mapRectToParent(item.boundingRect())
    assert abs(rect.width() - 128) < 1e-3 and abs(rect.height() - 96) < 1e-3
    maps.send_box.setChecked(False)
    assert not item.isVisible()
