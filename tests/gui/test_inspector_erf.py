"""The inspector's receptive-field tab, driven with qtbot (offscreen) on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from app.engine.ppm_erf import capture_input, receptive_field  # noqa: E402
from app.gui.inspector.erf_tab import FULL, scaled_maps  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.inspector_fixtures import dock, image, result, segmenter  # noqa: E402,F401 - fixtures


@pytest.fixture
def shown(dock, result, image, segmenter):  # noqa: F811 - the imported fixtures
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.tabs.setCurrentWidget(dock.erf_tab)
    return dock


def _expected(dock, segmenter, image, x, y, class_index=None):
    acts, loaded = dock.acts, segmenter.loaded
    network_input = capture_input(image, acts.geometry, loaded.meta.normalization)
    return receptive_field(loaded.model, network_input, acts.geometry, x, y, class_index)


def test_before_a_click_the_panels_show_the_photo_and_the_hint(shown, image):
    tab = shown.erf_tab
    assert len(tab.grid.plots) == 6  # full network, features, bins 1/2/3/6
    assert [p.titleLabel.text for p in tab.grid.plots][:2] == [FULL, "features"]
    assert all(photo.image is not None for photo in tab.grid.photos)  # never an empty panel
    assert tab.grid.values == [] and tab.field is None
    assert "Click a pixel" in tab.readout.text()


def test_a_click_draws_each_paths_gradient_and_its_analytic_field(qtbot, shown, segmenter, image):
    tab = shown.erf_tab
    with qtbot.waitSignal(shown.pixelPicked):
        tab.grid.clicked.emit(30, 20)  # a click on a panel
    assert tab.field is not None and (tab.field.x, tab.field.y) == (30, 20)
    assert shown.contrib_tab.split is None  # the tab asked for the field, not a split
    expected = _expected(shown, segmenter, image, 30, 20)
    assert tab.field.class_index == expected.class_index
    np.testing.assert_allclose(np.stack(tab.shown_maps()), scaled_maps(expected.magnitudes(), "own"), atol=1e-5)
    assert all(outline.isVisible() for outline in tab.grid.outlines)
    assert all(len(marker.data) == 1 for marker in tab.grid.markers)
    assert "Pixel (30, 20)" in tab.readout.text() and "add up" in tab.readout.text()
    assert tab.grid.plots[0].titleLabel.text.startswith(f"{FULL} (max ")

    # one scale for all maps: the raw magnitudes, every image on the colour bar's levels
    tab.scale.setCurrentIndex(tab.scale.findData("shared"))
    np.testing.assert_allclose(np.stack(tab.shown_maps()), expected.magnitudes(), rtol=1e-5)
    levels = tab.grid.levels()
    assert all(tuple(image.getLevels()) == pytest.approx(levels) for image in tab.grid.images)
    tab.bounds_box.setChecked(False)
    assert not any(outline.isVisible() for outline in tab.grid.outlines)


def test_another_class_and_a_click_in_the_main_view(shown, segmenter, image):
    tab = shown.erf_tab
    shown.show_pixel(50, 10)  # the main view's click
    predicted = tab.field.class_index
    other = (predicted + 1) % len(tab.class_names)
    tab.set_target(other)  # recomputed at once for the same pixel
    assert (tab.field.x, tab.field.y, tab.field.class_index) == (50, 10, other)
    expected = _expected(shown, segmenter, image, 50, 10, other)
    assert tab.field.logit == pytest.approx(expected.logit, rel=1e-5)
    shown.clear()
    assert tab.field is None and tab.grid.plots == []


def test_a_failure_is_reported_in_the_tab(shown, monkeypatch):
    import app.engine.ppm_erf as erf

    def broken(*_args, **_kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(erf, "receptive_field", broken)
    shown.show_pixel(3, 3)
    assert "Could not compute the receptive field" in shown.erf_tab.readout.text()
    assert shown.erf_tab.field is None


def test_the_same_capture_again_keeps_the_field_and_the_map_saves_as_png(shown, segmenter, result, image, tmp_path):
    from PIL import Image

    tab = shown.erf_tab
    assert shown.export_png(tmp_path / "none.png") is None  # nothing clicked yet
    shown.show_pixel(30, 20)
    field = tab.field
    shown.set_result(image, result, ModelInfo.describe(segmenter.loaded))  # floated or shown again: re-fed
    assert tab.field is field and len(tab.shown_maps()) == 6
    saved = shown.export_png(tmp_path / "erf.png")
    with Image.open(saved) as png:
        assert png.mode == "RGB" and max(png.size) >= 512
    again = segmenter.segment(image, result.protocol, capture=True)  # a new result: a fresh start
    shown.set_result(image, again, ModelInfo.describe(segmenter.loaded))
    assert tab.field is None
