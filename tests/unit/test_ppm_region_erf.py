"""The receptive field of a region: the union of its pixels' analytic boxes, the paths' sum,
and a one-pixel region equal to the pixel's field."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.editing.tools import Region
from app.engine.ppm_erf import path_bounds, receptive_field
from app.engine.ppm_region import box_region, pixel_region
from app.engine.ppm_region_erf import analytic_masks, mask_fraction, region_receptive_field
from tests.unit.erf_fixtures import small_field_case

# square, so that the union of two far corners' boxes is not a box (the backbone field, 311 px,
# is narrower than the 321 px input on both axes)
PHOTO, INPUT = (300, 300), (321, 321)


@pytest.fixture(scope="module", params=[True, False], ids=["align_corners", "half_pixel"])
def case(request):
    return small_field_case(request.param, PHOTO, INPUT)


def two_corners() -> Region:
    """A region of two separate blocks (top left, bottom right): its union of boxes is not a box."""
    mask = np.zeros(PHOTO, dtype=bool)
    mask[2:6, 3:9] = True
    mask[280:296, 280:296] = True
    return Region((0, PHOTO[0], 0, PHOTO[1]), mask)


def test_a_one_pixel_region_is_the_pixels_field(case):
    model, network_input, geometry, _ = case
    x, y = 2, 250
    pixel = receptive_field(model, network_input, geometry, x, y)
    region = region_receptive_field(model, network_input, geometry, pixel_region(PHOTO, x, y), kind="pixel")
    assert region.class_index == pixel.class_index
    assert region.logit == pytest.approx(pixel.logit, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(region.paths, pixel.paths, rtol=1e-5, atol=1e-7 * float(np.abs(pixel.paths).max()))
    for mask, (y0, y1, x0, x1) in zip(region.masks, pixel.bounds):
        box = np.zeros(INPUT, dtype=bool)
        box[y0:y1, x0:x1] = True
        np.testing.assert_array_equal(mask, box)


def test_the_union_of_the_pixels_boxes(case):
    model, _, geometry, _ = case
    region = two_corners()
    masks = analytic_masks(model, geometry, region)
    expected = np.zeros_like(masks)
    ys, xs = np.nonzero(region.mask)
    for y, x in zip(ys[::3], xs[::3]):  # every third pixel, and all the corners of both blocks
        for p, (y0, y1, x0, x1) in enumerate(path_bounds(model, geometry, int(x), int(y))):
            expected[p, y0:y1, x0:x1] = True
    for y, x in ((2, 3), (5, 8), (280, 280), (295, 295)):
        for p, (y0, y1, x0, x1) in enumerate(path_bounds(model, geometry, x, y)):
            expected[p, y0:y1, x0:x1] = True
    np.testing.assert_array_equal(masks, expected)
    features = masks[0]
    assert not features[0, -1] and not features[-1, 0]  # the off-diagonal corners: the union is not a box
    assert mask_fraction(features) < 0.9


def test_region_gradient_is_zero_outside_the_union_and_the_paths_sum_to_the_networks(case):
    model, network_input, geometry, low = case
    region = two_corners()
    rf = region_receptive_field(model, network_input, geometry, region, kind="box")
    magnitudes = rf.magnitudes()
    for name, magnitude, mask in zip(["full", *rf.names], magnitudes, [rf.full_mask, *rf.masks]):
        assert not magnitude[~mask].any(), name
        assert magnitude[mask].any(), name
    # the whole network's gradient of the region's summed photo logit, by plain autograd
    image = network_input.clone().requires_grad_(True)
    out = model(image, upsample=False)[0][rf.class_index].double()
    photo = geometry.row_matrix @ out @ geometry.col_matrix.T  # (H, W) photo logits
    summed = photo[torch.from_numpy(region.mask)].sum()
    (expected,) = torch.autograd.grad(summed, image)
    np.testing.assert_allclose(rf.full, expected[0].numpy(), rtol=1e-3, atol=1e-6 * float(expected.abs().max()))
    assert rf.logit == pytest.approx(float(summed.detach()), rel=1e-5)
    # default: the class with the largest summed logit
    all_sums = [(geometry.row_matrix @ low[0, c].double() @ geometry.col_matrix.T)[torch.from_numpy(region.mask)].sum()
                for c in range(low.shape[1])]
    assert rf.class_index == int(np.argmax([float(s) for s in all_sums]))


def test_a_box_and_refusals(case):
    model, network_input, geometry, _ = case
    box = box_region(PHOTO, 100, 10, 140, 30)
    rf = region_receptive_field(model, network_input, geometry, box, class_index=3)
    assert rf.class_index == 3 and rf.pixel_count == 41 * 21
    assert rf.masks[0].sum() > 0 and rf.full_mask.sum() >= rf.masks[0].sum()
    with pytest.raises(ValueError, match="no pixel"):
        region_receptive_field(model, network_input, geometry, Region((0, 2, 0, 2), np.zeros((2, 2), bool)))
    with pytest.raises(ValueError, match="network input"):
        region_receptive_field(model, network_input[:, :, :40], geometry, box)


def test_it_runs_under_inference_mode_as_the_viewers_worker_does(case):
    model, network_input, geometry, _ = case
    region = box_region(PHOTO, 100, 10, 140, 30)
    expected = region_receptive_field(model, network_input, geometry, region, class_index=1)
    with torch.inference_mode():
        made_there = torch.randn(1, 3, *INPUT, generator=torch.Generator().manual_seed(1))
        rf = region_receptive_field(model, made_there, geometry, region, class_index=1)
    np.testing.assert_allclose(rf.paths, expected.paths, rtol=1e-5, atol=1e-9)
