"""The small multiples (``BranchGrid``) draw every panel the same size, whatever its title: the
stage Grad-CAM's "stem" panel was ~30 px wider than "layer1".."layer4" in a 1400 px dock."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from app.engine.ppm_stage_gradcam import STAGES  # noqa: E402
from app.gui.inspector.branch_grid import BranchGrid  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.conftest import RESULT_TIMEOUT_MS  # noqa: E402
from tests.gui.inspector_fixtures import dock, image, result, segmenter  # noqa: E402,F401 - fixtures

PHOTO = np.zeros((240, 672, 3), np.uint8)  # the harbour sample's network input shape, a wide strip


def _widths(qtbot, grid: BranchGrid) -> list[float]:
    qtbot.wait(10)  # the layout settles
    return [plot.geometry().width() for plot in grid.plots]


@pytest.fixture
def grid(qtbot):
    widget = BranchGrid()
    qtbot.addWidget(widget)
    widget.resize(1345, 215)  # the grid's size in the full-window inspector at 1400x880
    widget.show()
    return widget


def test_the_stage_panels_are_equally_wide(qtbot, grid):
    grid.set_parts(list(STAGES), PHOTO, extra=None)
    widths = _widths(qtbot, grid)
    assert len(widths) == 5 and grid._columns == 5
    assert max(widths) - min(widths) < 1.0, widths
    assert sum(widths) > 0.8 * grid.width()  # the row still fills the grid


def test_parts_and_bias_panels_are_equally_wide_also_after_new_titles(qtbot, grid):
    grid.set_parts(["features", "bin 1", "bin 2", "bin 3", "bin 6"], PHOTO)  # and the bias's panel
    widths = _widths(qtbot, grid)
    assert len(widths) == 6 and max(widths) - min(widths) < 1.0, widths
    grid.set_titles(["features 64%", "bin 1 14%", "b", "bin 3 6%", "bin 6 a much longer title", "x"])
    widths = _widths(qtbot, grid)
    assert max(widths) - min(widths) < 1.0, widths
    long_minimum = _minimum(grid)
    grid.set_titles(["a", "b", "c", "d", "e", "f"])  # short again: the panels may be narrow again
    assert _minimum(grid) < long_minimum
    widths = _widths(qtbot, grid)
    assert max(widths) - min(widths) < 1.0, widths


def _minimum(grid: BranchGrid) -> float:
    """The panels' minimum width (the same for all of them)."""
    minimums = {plot.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() for plot in grid.plots}
    assert len(minimums) == 1
    return minimums.pop()


def test_the_dock_draws_the_stage_gradcam_row_evenly(qtbot, dock, image, result, segmenter):  # noqa: F811
    dock.resize(1400, 880)
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    tab = dock.contrib_tab
    dock.tabs.setCurrentWidget(tab)
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("gradcam_relu"))
    tab.part_maps.where.setCurrentIndex(tab.part_maps.where.findData("stages"))
    dock.select_box(5, 5, 60, 40)
    qtbot.waitUntil(lambda: tab.part_maps.stage_cam is not None, timeout=RESULT_TIMEOUT_MS)
    grid = tab.part_maps.grid
    titles = [plot.titleLabel.text for plot in grid.plots]
    assert titles == list(STAGES)
    widths = _widths(qtbot, grid)
    assert max(widths) - min(widths) < 1.0, widths
