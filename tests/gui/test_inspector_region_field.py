"""The receptive field of a region (Receptive field tab) and Grad-CAM at the backbone's stages
(Contribution tab's per-part maps), driven with qtbot (offscreen) on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")


from app.editing.tools import flood_region  # noqa: E402
from app.engine.ppm_erf import capture_input  # noqa: E402
from app.engine.ppm_region import box_region, class_region  # noqa: E402
from app.engine.ppm_region_erf import region_receptive_field  # noqa: E402
from app.engine.ppm_stage_gradcam import STAGES, stage_gradcam  # noqa: E402
from app.gui.inspector.erf_tab import scaled_maps  # noqa: E402
from app.gui.inspector.part_maps import stage_scaled  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.inspector_fixtures import dock, drag_in_view, image, result, segmenter  # noqa: E402,F401


@pytest.fixture
def shown(dock, result, image, segmenter):  # noqa: F811 - the imported fixtures
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    return dock


def _input(dock, segmenter, image):
    return capture_input(image, dock.acts.geometry, segmenter.loaded.meta.normalization)


def _drag(qtbot, grid, start_xy, end_xy) -> None:
    """A real mouse drag on the grid's first panel, in photo coordinates."""
    qtbot.waitUntil(lambda: grid.graphics.width() > 50)
    drag_in_view(grid.graphics, grid.plots[0].vb, start_xy, end_xy)


def test_a_dragged_box_gives_the_regions_field_and_its_union_outline(qtbot, shown, segmenter, image):
    shown.tabs.setCurrentWidget(shown.erf_tab)
    tab = shown.erf_tab
    assert tab.selection.count() == 4  # pixel, box, connected region, whole class
    tab.set_selection_mode("box")
    shown.repaint()
    _drag(qtbot, tab.grid, (20.5, 10.5), (50.5, 30.5))
    field = tab.field
    assert field is not None and field.kind == "box" and hasattr(field, "masks")
    y0, y1, x0, x1 = field.region.box
    assert abs(x0 - 20) <= 1 and abs(y0 - 10) <= 1 and abs(x1 - 51) <= 1 and abs(y1 - 31) <= 1
    expected = region_receptive_field(segmenter.loaded.model, _input(shown, segmenter, image), shown.acts.geometry,
                                      field.region)
    assert field.class_index == expected.class_index
    np.testing.assert_allclose(np.stack(tab.shown_maps()), scaled_maps(expected.magnitudes(), "own"), atol=1e-5)
    assert all(shape.isVisible() for shape in tab.grid.shapes)  # the unions, drawn as shapes
    assert not any(outline.isVisible() for outline in tab.grid.outlines)  # not as boxes
    assert all(shape.isVisible() for shape in tab.grid.region_shapes)
    assert "Box of" in tab.readout.text() and "union" in tab.readout.text()


def test_connected_region_and_whole_class_and_another_class(shown, segmenter, image, result):
    shown.tabs.setCurrentWidget(shown.erf_tab)
    tab = shown.erf_tab
    labels = result.labels
    tab.set_selection_mode("connected")
    shown.show_pixel(50, 30)  # a click in the main view
    region = flood_region(labels, 50, 30)
    assert tab.field.kind == "connected" and tab.field.region.box == region.box
    assert shown.contrib_tab.split is None  # the tab asked for a field, not a split
    tab.set_selection_mode("class")
    shown.show_pixel(50, 30)
    assert tab.field.kind == "class" and tab.field.pixel_count == int((labels == labels[30, 50]).sum())
    other = (tab.field.class_index + 1) % len(tab.class_names)
    tab.set_target(other)  # asked again for the same region
    assert tab.field.class_index == other and tab.field.kind == "class"
    expected = region_receptive_field(segmenter.loaded.model, _input(shown, segmenter, image), shown.acts.geometry,
                                      class_region(labels, int(labels[30, 50])), other)
    assert tab.field.logit == pytest.approx(expected.logit, rel=1e-5)
    tab.set_selection_mode("pixel")  # back to a pixel: boxes again
    shown.show_pixel(5, 5)
    assert not hasattr(tab.field, "masks") and all(o.isVisible() for o in tab.grid.outlines)
    assert not any(shape.isVisible() for shape in tab.grid.region_shapes)


def test_stage_gradcam_is_chosen_where_gradcam_is_shown(shown, segmenter, image, result):
    shown.tabs.setCurrentWidget(shown.contrib_tab)  # its maps give the default class: the most common one
    tab = shown.contrib_tab
    panel = tab.part_maps
    assert not panel.where.isEnabled()  # exact shares: no stage to choose
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("gradcam"))
    assert panel.where.isEnabled()
    panel.where.setCurrentIndex(panel.where.findData("stages"))
    target = tab.target_class()
    labels = result.labels
    net_input = _input(shown, segmenter, image)
    expected = stage_gradcam(segmenter.loaded.model, net_input, shown.acts.geometry, class_region(labels, target),
                             target)
    assert len(tab.grid.values) == 5 and [p.titleLabel.text for p in tab.grid.plots] == list(STAGES)
    assert STAGES[0] == "stem"  # the deep stem's conv block first, then layer1..layer4
    for shown_map, want in zip(tab.grid.values, stage_scaled(expected.signed)):
        np.testing.assert_allclose(shown_map, want, rtol=1e-4, atol=1e-5)
    assert [float(np.abs(v).max()) for v in tab.grid.values] == pytest.approx([1.0] * 5)  # each to its maximum
    assert "APPROXIMATION" in tab.grid_title.text() and "predicted as" in tab.grid_title.text()

    panel.where.setCurrentIndex(panel.where.findData("stem"))  # one stage, from the same answer
    assert len(tab.grid.values) == 1 and tab.grid.plots[0].titleLabel.text == "stem"
    np.testing.assert_allclose(tab.grid.values[0], stage_scaled(expected.signed[0:1])[0], rtol=1e-4, atol=1e-5)
    assert "at stem," in tab.grid_title.text()
    panel.where.setCurrentIndex(panel.where.findData("layer2"))
    assert len(tab.grid.values) == 1 and tab.grid.plots[0].titleLabel.text == "layer2"
    np.testing.assert_allclose(tab.grid.values[0], stage_scaled(expected.signed[2:3])[0], rtol=1e-4, atol=1e-5)
    shown.select_box(10, 5, 40, 30)  # a selection: Grad-CAM over it
    region = box_region(shown.acts.geometry.image_size, 10, 5, 40, 30)
    target = tab.target_class()
    over_box = stage_gradcam(segmenter.loaded.model, net_input, shown.acts.geometry, region, target)
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("gradcam_relu"))
    np.testing.assert_allclose(tab.grid.values[0], stage_scaled(over_box.relu[2:3])[0], rtol=1e-4, atol=1e-5)
    assert (tab.grid.values[0] >= 0).all() and tuple(tab.grid.images[0].getLevels()) == (0.0, 1.0)
    assert "the selection" in tab.grid_title.text()
    panel.where.setCurrentIndex(panel.where.findData("ppm"))  # back at the PPM: its five parts
    assert len(tab.grid.values) == 5
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("exact"))
    assert len(tab.grid.values) == 6 and tab.grid.plots[5].isVisible()


def test_a_class_predicted_nowhere_says_so(shown, result):
    tab = shown.contrib_tab
    absent = [c for c in range(len(tab.class_names)) if not (result.labels == c).any()]
    assert absent  # the tiny model leaves a class out
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("gradcam_relu"))
    tab.part_maps.where.setCurrentIndex(tab.part_maps.where.findData("layer4"))
    tab.set_target(absent[0])
    assert "predicted nowhere" in tab.grid_title.text()
    assert len(tab.grid.values) == 1 and not tab.grid.values[0].any()
