"""Region and class splits of the PPM inspector: exact sums over regions, any class, A minus B."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from app.engine.ppm_analysis import capture_geometry
from app.engine.ppm_contrib import attribute_pixel, contribution_maps, head_parts, head_responses
from app.engine.ppm_geometry import labels_at_photo_size
from app.engine.ppm_region import (box_region, class_region, connected_region, describe_region,
                                   pixel_region, region_cell_weights, split_from_pixel, split_region)
from app.model import build_pspnet
from tests.engine_fixtures import perturb_bn, ppm_capture

IMAGE = (50, 70)


@pytest.fixture(params=[False, True], ids=["align_corners=False", "align_corners=True"])
def setup(request, tiny_config):
    align = request.param
    model = perturb_bn(build_pspnet(dataclasses.replace(tiny_config, align_corners=align)))
    input_size = (65, 81) if align else (64, 80)
    cap = ppm_capture(model, input_size)
    geometry = capture_geometry(cap, IMAGE, input_size, align)
    return model, cap, geometry, head_responses(model, cap)


def _photo_logits(model, cap, geometry):
    with torch.inference_mode():
        low = model.head_from_parts(head_parts(cap))[0].double()
    # the head's logits resized to the photo with the capture's own row and column matrices
    rows, cols = geometry.row_matrix.to(low.dtype), geometry.col_matrix.to(low.dtype)
    return torch.einsum("rh,chw,xw->crx", rows, low, cols).numpy()  # (C, H, W)


def test_region_split_equals_the_sum_of_pixel_splits(setup):
    model, cap, geometry, head = setup
    region = box_region(IMAGE, 12, 7, 9, 10)  # corners in any order: x 9..12, y 7..10
    assert region.box == (7, 11, 9, 13) and region.pixels == 16
    split = split_region(head, geometry, region)
    pixels = [attribute_pixel(model, cap, geometry, x, y) for y in range(7, 11) for x in range(9, 13)]
    np.testing.assert_allclose(split.shares, sum(p.class_shares for p in pixels), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(split.bias, sum(p.class_bias for p in pixels), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(split.logits, sum(p.logits for p in pixels), atol=1e-4, rtol=1e-4)
    # a one-pixel region is that pixel's split, for every class
    one = split_region(head, geometry, pixel_region(IMAGE, 30, 20), "pixel")
    att = attribute_pixel(model, cap, geometry, 30, 20)
    np.testing.assert_allclose(one.shares, att.class_shares, atol=1e-5, rtol=1e-5)
    assert one.predicted == att.class_index
    as_region = split_from_pixel(att, IMAGE)
    np.testing.assert_allclose(as_region.shares[:, att.class_index], att.shares)
    assert describe_region(as_region) == "pixel (30, 20)"


def test_parts_add_up_to_the_regions_summed_logit_for_every_class(setup):
    model, cap, geometry, head = setup
    photo = _photo_logits(model, cap, geometry)
    low = head.logits
    labels = labels_at_photo_size(geometry, low)
    x, y = 35, 25
    regions = {"box": box_region(IMAGE, 0, 0, 69, 49), "connected": connected_region(labels, x, y),
               "class": class_region(labels, int(labels[y, x]))}
    for kind, region in regions.items():
        y0, y1, x0, x1 = region.box
        expected = (photo[:, y0:y1, x0:x1] * region.mask).sum((1, 2))
        split = split_region(head, geometry, region, kind)
        np.testing.assert_allclose(split.logits, expected, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(split.shares.sum(0) + split.bias, expected, rtol=1e-4, atol=1e-4)
        assert float(region_cell_weights(geometry, region).sum()) == pytest.approx(region.pixels)
        for c in range(photo.shape[0]):
            shares, bias, total = split.split(c)
            assert shares.sum() + bias == pytest.approx(expected[c], rel=1e-4, abs=1e-4)
    whole_class = regions["class"]
    assert whole_class.pixels == int((labels == labels[y, x]).sum())
    assert regions["connected"].pixels <= whole_class.pixels
    assert regions["connected"].mask[y - regions["connected"].box[0], x - regions["connected"].box[2]]


def test_why_a_and_not_b_sums_to_the_logit_difference(setup):
    model, cap, geometry, head = setup
    photo = _photo_logits(model, cap, geometry)
    split = split_region(head, geometry, box_region(IMAGE, 20, 10, 40, 30))
    a = split.predicted
    b = split.runner_up(a)
    assert b != a and split.logits[b] == max(v for c, v in enumerate(split.logits) if c != a)
    shares, bias, total = split.split(a, versus=b)
    expected = photo[a, 10:31, 20:41].sum() - photo[b, 10:31, 20:41].sum()
    assert total == pytest.approx(expected, rel=1e-4, abs=1e-4)
    assert shares.sum() + bias == pytest.approx(expected, rel=1e-4, abs=1e-4)
    np.testing.assert_allclose(shares, split.shares[:, a] - split.shares[:, b])


def test_class_share_maps_add_up_to_that_class_at_every_cell(setup):
    model, cap, geometry, head = setup
    for c in (0, 3):
        shares, bias = head.class_shares(c)
        np.testing.assert_allclose(shares.sum(0) + bias, head.logits[c].numpy(), atol=1e-4, rtol=1e-4)
    maps = contribution_maps(model, cap)  # still the predicted class per cell
    chosen = np.take_along_axis(maps.logits, maps.predicted[None], axis=0)[0]
    np.testing.assert_allclose(maps.shares.sum(0) + maps.bias, chosen, atol=1e-4, rtol=1e-4)


def test_regions_outside_or_empty_are_refused(setup):
    _, _, geometry, head = setup
    assert box_region(IMAGE, 80, 60, 90, 70) is None
    assert pixel_region(IMAGE, -1, 0) is None
    labels = np.zeros(IMAGE, dtype=np.uint8)
    assert class_region(labels, 3) is None
    assert connected_region(labels, 100, 0) is None
    with pytest.raises(ValueError, match="unknown region kind"):
        split_region(head, geometry, box_region(IMAGE, 0, 0, 1, 1), "lasso")


def test_gradcam_gradient_times_input_is_the_exact_split(setup):
    from app.engine.ppm_gradcam import region_gradcam

    model, cap, geometry, head = setup
    region = box_region(IMAGE, 5, 5, 40, 30)
    split = split_region(head, geometry, region)
    c = split.runner_up(split.predicted)
    with torch.inference_mode():  # as in the viewer's worker
        cam = region_gradcam(model, cap, geometry, region, c)
    # the head is linear given its ReLU gates: gradient x activation is each part's exact share
    np.testing.assert_allclose(cam.grad_times_input, split.shares[:, c], rtol=1e-4, atol=1e-3)
    assert cam.signed.shape == (5, *cap.features.shape[2:])
    assert (cam.relu >= 0).all() and np.abs(cam.signed).sum() > 0
    # Grad-CAM proper (mean gradient per channel) is not the exact split: it does not add up
    assert not np.allclose(cam.signed.sum((1, 2)), split.shares[:, c], rtol=1e-2)
