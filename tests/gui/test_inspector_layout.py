"""The inspector docked in a 1400x880 window's side column, under another dock: every tab usable."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget  # noqa: E402

from app.gui.inspector import PPMInspectorDock, synchronous_submit  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.inspector_fixtures import image, result, segmenter  # noqa: E402,F401 - fixtures


@pytest.fixture
def docked(qtbot, segmenter, result, image):  # noqa: F811 - the imported fixtures
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QWidget())
    legend = QDockWidget("Legend")  # the column's other dock, at the legend's usual height
    body = QLabel("classes")
    body.setMinimumHeight(220)
    legend.setWidget(body)
    dock = PPMInspectorDock(submit=synchronous_submit(segmenter), background=synchronous_submit())
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, legend)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    window.resizeDocks([legend, dock], [560, 560], Qt.Orientation.Horizontal)
    window.resizeDocks([legend, dock], [250, 560], Qt.Orientation.Vertical)
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    qtbot.waitUntil(lambda: 500 <= dock.width() <= 620 and dock.height() >= 500)
    yield dock  # the window stays alive (in this frame) while the test runs


def _settle(qtbot, dock) -> None:
    qtbot.wait(50)  # the tab's resize events (compact layout, panel columns) are processed


@pytest.mark.parametrize("tab_name", ["maps_tab", "contrib_tab", "ablation_tab", "erf_tab"])
def test_each_tab_fits_the_docked_column_before_any_click(qtbot, docked, tab_name):
    tab = getattr(docked, tab_name)
    docked.tabs.setCurrentWidget(tab)
    _settle(qtbot, docked)
    # nothing cut off: the tab fits the dock, no scrolling either way
    assert docked.scroll_area.horizontalScrollBar().maximum() == 0
    assert docked.scroll_area.verticalScrollBar().maximum() == 0
    if tab_name == "erf_tab":
        graphics = tab.grid.graphics
        assert graphics.width() >= 400 and graphics.height() >= 250
        assert all(photo.image is not None for photo in tab.grid.photos)  # no empty panel
        return
    view = tab.map_view.graphics
    assert max(view.width(), view.height()) >= 400, (view.width(), view.height())
    assert view.height() >= 140
    assert tab.map_view.photo.image is not None  # the photo, never an empty plot


def test_contribution_tab_is_compact_when_docked_and_side_by_side_in_full_window(qtbot, docked):
    tab = docked.contrib_tab
    docked.tabs.setCurrentWidget(tab)
    _settle(qtbot, docked)
    assert tab.compact and tab.below.count() == 2 and tab.map_view.histogram.isHidden()
    assert tab.plot.hint.isVisible()  # the bars' tab says what to do (no empty axes)
    assert not tab.plot.getPlotItem().getAxis("left").isVisible()
    docked.show_pixel(20, 15)
    assert tab.below.currentWidget() is tab.right  # the split just asked for is shown
    assert tab.plot.getPlotItem().getAxis("left").isVisible()

    docked.full_button.click()
    qtbot.waitUntil(lambda: docked.width() >= 1300)
    _settle(qtbot, docked)
    assert not tab.compact and tab.right.parent() is tab.upper and not tab.map_view.histogram.isHidden()
    assert tab.part_maps.parent() is tab.splitter and tab.part_maps.isVisible()
    docked.full_button.click()
    qtbot.waitUntil(lambda: docked.width() < 700)
    _settle(qtbot, docked)
    assert tab.compact and tab.below.count() == 2


def test_the_maps_tab_folds_its_gallery_when_short_unless_asked(qtbot, docked):
    tab = docked.maps_tab
    docked.tabs.setCurrentWidget(tab)
    _settle(qtbot, docked)
    short = tab.height() < 560
    assert tab.gallery.isHidden() == short
    tab.gallery_button.click()  # the user's choice holds from now on
    assert tab.gallery.isHidden() != short
    tab.resize(tab.width(), tab.height() + 1)
    assert tab.gallery.isHidden() != short
