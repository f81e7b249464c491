"""Pinning one image's capture beside the next one's, driven with qtbot (offscreen) on a tiny model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from app.checkpoints.meta import ProtocolSettings  # noqa: E402
from app.gui.inspector.map_view import robust_levels  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.inspector_fixtures import dock, image, result, segmenter  # noqa: E402,F401 - fixtures


@pytest.fixture
def second(segmenter):  # noqa: F811 - the imported fixture
    photo = np.random.default_rng(7).integers(0, 255, (60, 90, 3), dtype=np.uint8)
    return photo, segmenter.segment(photo, ProtocolSettings(base_size=96), capture=True)


def test_the_pinned_capture_stays_and_both_panes_share_one_scale(qtbot, dock, result, image, segmenter, second):
    info = ModelInfo.describe(segmenter.loaded)
    dock.set_result(image, result, info)
    tab = dock.maps_tab
    tab.reduction.setCurrentIndex(tab.reduction.findData("channel"))
    tab.spin.setValue(3)
    first_acts = dock.acts
    dock.pin_button.click()
    assert dock.pin_button.isChecked() and tab.pinned.acts is first_acts and not tab.pinned.isHidden()

    photo, other = second
    dock.set_result(photo, other, info)  # the viewer moves to another image
    assert dock.acts is not first_acts and tab.pinned.acts is first_acts
    first = result.activations.features[0, 3].float().numpy()
    now = other.activations.features[0, 3].float().numpy()
    np.testing.assert_array_equal(tab.pinned.view.values, first)
    np.testing.assert_array_equal(tab.map_view.values, now)
    levels = robust_levels(np.concatenate([now.ravel(), first.ravel()]))
    assert tab.map_view.levels() == pytest.approx(levels) and tab.pinned.levels() == pytest.approx(levels)
    np.testing.assert_array_equal(tab.pinned.view.image.lut, tab.map_view.lookup_table())

    tab.spin.setValue(5)  # the same channel in both panes
    np.testing.assert_array_equal(tab.pinned.view.values, result.activations.features[0, 5].float().numpy())
    tab.source.setCurrentIndex(4)  # bin 6, mean of channels: computed for the pinned capture too
    tab.reduction.setCurrentIndex(tab.reduction.findData("mean"))
    np.testing.assert_allclose(tab.pinned.view.values, result.activations.upsampled[3][0].float().mean(0).numpy(),
                               rtol=1e-5)
    tab.map_view.histogram.setLevels(-1.0, 2.0)  # the user's levels apply to both
    assert tab.pinned.levels() == pytest.approx((-1.0, 2.0))

    dock.pin_button.click()  # unpin
    assert tab.pinned.acts is None and tab.pinned.isHidden()


def test_a_pinned_split_is_drawn_beside_the_next_images_split(dock, result, image, segmenter, second):
    info = ModelInfo.describe(segmenter.loaded)
    dock.set_result(image, result, info)
    dock.tabs.setCurrentWidget(dock.contrib_tab)
    tab = dock.contrib_tab
    dock.show_pixel(20, 15)
    first = tab.plot.heights.copy()
    dock.pin_button.click()
    assert tab.plot.pinned_heights is not None and "pixel (20, 15)" in tab.pinned_text

    photo, other = second
    dock.set_result(photo, other, info)
    dock.show_pixel(40, 30)
    now = tab.plot.heights
    assert not np.allclose(now, first)
    np.testing.assert_array_equal(tab.plot.pinned_bars.opts["height"], first)
    low, high = tab.plot.getPlotItem().vb.viewRange()[1]
    assert low <= min(first.min(), now.min()) and high >= max(first.max(), now.max())  # one axis for both
    assert "pinned" in tab.readout.text()

    dock.pin_button.click()
    assert tab.plot.pinned_heights is None and len(tab.plot.pinned_bars.opts["height"]) == 0


def test_pin_without_an_image_is_refused(dock):
    dock.pin_button.click()
    assert not dock.pin_button.isChecked() and "no image" in dock.status.text()
