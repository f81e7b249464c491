"""The inspector's region, class and layout features, driven with qtbot (offscreen) on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMainWindow, QWidget  # noqa: E402

from app.editing.tools import flood_region  # noqa: E402
from app.engine.ppm_contrib import attribute_pixel, head_responses  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.inspector_fixtures import dock, drag_in_view, image, result, segmenter  # noqa: E402,F401


@pytest.fixture
def shown(dock, result, image, segmenter):  # noqa: F811 - the imported fixtures
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.tabs.setCurrentWidget(dock.contrib_tab)
    return dock


def _bar_total(tab) -> float:
    return float(np.sum(tab.plot.heights)) * tab.split.pixel_count


def test_before_any_click_the_plot_says_what_to_do_and_the_grid_shows_a_class(shown):
    tab = shown.contrib_tab
    assert tab.plot.hint.isVisible() and "drag a box" in tab.plot.hint.textItem.toPlainText()
    assert not tab.plot.getPlotItem().getAxis("left").isVisible()  # no empty axes
    target = tab.target_class()
    assert target == int(np.bincount(tab.maps.predicted.ravel()).argmax())
    assert len(tab.grid.values) == 6  # features, 4 bins, bias
    low, high = tab.grid.levels()
    assert low == pytest.approx(-high) and high > 0
    np.testing.assert_allclose(sum(tab.grid.values), tab.maps.logits[target], atol=1e-3)


def test_box_split_sums_to_the_boxs_logit(shown, segmenter, result):
    tab = shown.contrib_tab
    tab.set_selection_mode("box")
    assert tab.map_view.view.box_mode
    shown.select_box(40, 30, 10, 5)
    split = tab.split
    assert split.kind == "box" and split.region.box == (5, 31, 10, 41) and split.pixel_count == 26 * 31
    assert tab.map_view.region.image is not None  # the box is tinted on the map
    acts = shown.acts
    model = segmenter.loaded.model
    expected = sum(attribute_pixel(model, acts.capture, acts.geometry, x, y).logits
                   for y in range(5, 31) for x in range(10, 41))  # every pixel of the box, one by one
    np.testing.assert_allclose(split.logits, expected, rtol=1e-4, atol=1e-3)
    assert _bar_total(tab) == pytest.approx(float(split.logits[split.predicted]), rel=1e-4, abs=1e-3)
    assert "Box 31\u00d726 at (10, 5)" in tab.readout.text()


def test_dragging_on_the_map_selects_a_box(qtbot, shown):
    tab = shown.contrib_tab
    tab.set_selection_mode("box")
    view, widget = tab.map_view.view, tab.map_view.graphics
    qtbot.waitUntil(lambda: widget.width() > 50)
    shown.repaint()
    drag_in_view(widget, view, (20.5, 10.5), (60.5, 40.5))
    split = tab.split
    assert split is not None and split.kind == "box"
    y0, y1, x0, x1 = split.region.box
    assert abs(x0 - 20) <= 1 and abs(y0 - 10) <= 1 and abs(x1 - 61) <= 1 and abs(y1 - 41) <= 1


def test_connected_region_and_whole_class_under_a_click(shown, result):
    tab = shown.contrib_tab
    labels = result.labels
    x, y = 50, 30
    tab.set_selection_mode("connected")
    shown.show_pixel(x, y)
    region = flood_region(labels, x, y)
    assert tab.split.kind == "connected" and tab.split.region.box == region.box
    np.testing.assert_array_equal(tab.split.region.mask, region.mask)
    assert _bar_total(tab) == pytest.approx(float(tab.split.logits[tab.split.predicted]), rel=1e-4, abs=1e-3)
    tab.set_selection_mode("class")
    shown.show_pixel(x, y)
    assert tab.split.kind == "class" and tab.split.pixel_count == int((labels == labels[y, x]).sum())
    assert "Whole class of" in tab.readout.text()


def test_any_class_runner_up_and_why_not(shown, segmenter):
    tab = shown.contrib_tab
    shown.show_pixel(50, 30)
    att = tab.attribution
    split = tab.split
    assert split.kind == "pixel" and tab.target_class() == att.class_index
    assert float(np.sum(tab.plot.heights)) == pytest.approx(att.logit, abs=1e-4)
    runner = split.runner_up(att.class_index)
    tab.runner_button.click()
    assert tab.target_class() == runner
    assert float(np.sum(tab.plot.heights)) == pytest.approx(float(att.logits[runner]), abs=1e-4)
    tab.why_button.click()
    assert tab.target_class() == att.class_index and tab.versus_class() == runner
    difference = float(att.logits[att.class_index] - att.logits[runner])
    assert float(np.sum(tab.plot.heights)) == pytest.approx(difference, abs=1e-4)
    assert "\u2212" in tab.readout.text()
    # the grid shows the difference of the two classes' per-part maps
    head = head_responses(segmenter.loaded.model, shown.acts.capture)
    (a, a_bias), (b, b_bias) = head.class_shares(att.class_index), head.class_shares(runner)
    for shown_map, expected in zip(tab.grid.values, [*(a - b), a_bias - b_bias]):
        np.testing.assert_allclose(shown_map, expected, atol=1e-5)
    tab.set_target(2)  # any class from the list
    tab.set_versus(None)
    assert float(np.sum(tab.plot.heights)) == pytest.approx(float(att.logits[2]), abs=1e-4)


def test_full_window_floats_over_the_main_window_and_docks_back(qtbot, segmenter):  # noqa: F811
    from app.gui.inspector import PPMInspectorDock, synchronous_submit

    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QWidget())
    widget = PPMInspectorDock(submit=synchronous_submit(segmenter), background=synchronous_submit())
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, widget)
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    widget.full_button.click()
    assert widget.isFloating() and widget.full_button.isChecked()
    assert widget.width() >= 1300 and widget.height() >= 800
    widget.full_button.click()
    assert not widget.isFloating() and not widget.full_button.isChecked()
    widget.setFloating(True)  # floated by its title bar: the button follows
    assert widget.full_button.isChecked()


def test_gradcam_view_is_labelled_an_approximation(shown, segmenter):
    from app.engine.ppm_gradcam import region_gradcam

    tab = shown.contrib_tab
    shown.select_box(10, 5, 40, 30)
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("gradcam"))
    assert "APPROXIMATION" in tab.grid_title.text()
    target = tab.target_class()
    expected = region_gradcam(segmenter.loaded.model, shown.acts.capture, shown.acts.geometry,
                              tab.split.region, target)
    assert len(tab.grid.values) == 5 and not tab.grid.plots[5].isVisible()  # no bias panel
    for shown_map, want in zip(tab.grid.values, expected.signed):
        np.testing.assert_allclose(shown_map, want, rtol=1e-4, atol=1e-5)
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("gradcam_relu"))
    assert all((v >= 0).all() for v in tab.grid.values)
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("exact"))
    assert len(tab.grid.values) == 6 and tab.grid.plots[5].isVisible()
    assert "APPROXIMATION" not in tab.grid_title.text()
