"""Grad-CAM at the backbone's stem and stages: the hooks catch the right tensors (against a
manual autograd pass through the stages, for every layout the app loads), the maps' shapes
and upsampling, an absent class."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.engine.ppm_region import box_region, class_region
from app.engine.ppm_stage_gradcam import STAGES, stage_gradcam, stage_outputs
from tests.unit.erf_fixtures import INPUT, PHOTO, small_field_case


@pytest.fixture(scope="module", params=[True, False], ids=["align_corners", "half_pixel"])
def case(request):
    model, network_input, geometry, low = small_field_case(request.param)
    labels = torch.argmax(geometry.row_matrix.float() @ low[0] @ geometry.col_matrix.float().T, 0).numpy()
    return model, network_input, geometry, labels


def manual_cams(model, network_input, geometry, region, class_index):
    """Grad-CAM by hand: the backbone's stages called one by one, no hooks."""
    backbone = model.backbone
    x = network_input.clone()
    stem = backbone.stem(x)  # the deep stem's conv block, before its max-pool
    acts = [stem]
    h = backbone.maxpool(stem)
    for name in STAGES[1:]:
        h = getattr(backbone, name)(h)
        acts.append(h)
    concat, _ = model.ppm(h)
    low = model.head(concat)[0, class_index].double()
    photo = geometry.row_matrix @ low @ geometry.col_matrix.T
    inside = np.zeros(geometry.image_size, dtype=bool)
    y0, y1, x0, x1 = region.box
    inside[y0:y1, x0:x1] = region.mask
    score = photo[torch.from_numpy(inside)].sum()
    grads = torch.autograd.grad(score, acts)
    cams = [(g[0].mean((1, 2))[:, None, None] * a[0]).sum(0).detach() for a, g in zip(acts, grads)]
    return float(score.detach()), cams


def test_the_hooks_catch_each_stage_and_match_a_manual_pass(case):
    model, network_input, geometry, labels = case
    present = int(np.bincount(labels.ravel()).argmax())
    region = class_region(labels, present)
    cam = stage_gradcam(model, network_input, geometry, region, present)
    score, expected = manual_cams(model, network_input, geometry, region, present)
    assert cam.stages == list(STAGES) and cam.message == ""
    assert cam.score == pytest.approx(score, rel=1e-5)
    assert cam.pixel_count == int((labels == present).sum())
    for name, low, manual in zip(STAGES, cam.low, expected):
        np.testing.assert_allclose(low, manual.numpy(), rtol=1e-4, atol=1e-6 * float(manual.abs().max()), err_msg=name)
    # the stages differ (a hook on the wrong module would repeat one map)
    assert not np.allclose(cam.low[3], cam.low[4])


def test_shapes_and_upsampling_to_the_network_input(case):
    model, network_input, geometry, _ = case
    _, caught = stage_outputs(model, network_input)
    # the stem at stride 2, layer1 at stride 4, the dilated layer2..4 at stride 8
    assert tuple(caught["stem"].shape[2:]) == ((INPUT[0] + 1) // 2, (INPUT[1] + 1) // 2)
    assert caught["layer1"].shape[2] > caught["layer2"].shape[2] == caught["layer4"].shape[2]
    region = box_region(PHOTO, 10, 5, 200, 40)
    cam = stage_gradcam(model, network_input, geometry, region, 2, stages=("stem", "layer1", "layer3"))
    assert cam.signed.shape == (3, *INPUT)
    for n, name in enumerate(("stem", "layer1", "layer3")):
        assert cam.low[n].shape == tuple(caught[name].shape[2:])
        up = F.interpolate(torch.from_numpy(cam.low[n])[None, None].double(), size=INPUT, mode="bilinear",
                           align_corners=model.cfg.align_corners)[0, 0].numpy()
        np.testing.assert_allclose(cam.signed[n], up, rtol=1e-5, atol=1e-6 * float(np.abs(up).max()))
    assert (cam.relu >= 0).all() and np.array_equal(cam.relu, np.maximum(cam.signed, 0))


def test_an_absent_class_gives_zero_maps_and_says_why(case):
    model, network_input, geometry, labels = case
    absent = [c for c in range(model.num_classes) if not (labels == c).any()]
    assert absent  # the seeded tiny model leaves a class out (what this test is about)
    region = class_region(labels, absent[0])
    assert region is None
    cam = stage_gradcam(model, network_input, geometry, region, absent[0], class_name="boat")
    assert cam.signed.shape == (5, *INPUT) and not cam.signed.any() and not cam.relu.any()
    assert "boat is predicted nowhere" in cam.message and cam.pixel_count == 0


def test_bad_requests_are_refused(case):
    model, network_input, geometry, _ = case
    region = box_region(PHOTO, 0, 0, 3, 3)
    with pytest.raises(ValueError, match="not one of"):
        stage_gradcam(model, network_input, geometry, region, 99)
    with pytest.raises(ValueError, match="unknown backbone stage"):
        stage_gradcam(model, network_input, geometry, region, 0, stages=("layer5",))
    with pytest.raises(ValueError, match="network input"):
        stage_gradcam(model, network_input[:, :, :40], geometry, region, 0)


def test_it_runs_under_inference_mode_as_the_viewers_worker_does(case):
    model, network_input, geometry, _ = case
    region = box_region(PHOTO, 10, 5, 200, 40)
    expected = stage_gradcam(model, network_input, geometry, region, 2)
    with torch.inference_mode():
        made_there = network_input.clone()
        cam = stage_gradcam(model, made_there, geometry, region, 2)
    np.testing.assert_allclose(cam.signed, expected.signed, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("layout", ["semseg", "mmseg", "csail", "shipped"])
def test_the_stem_of_every_layout_matches_a_manual_pass(layout, tmp_path):
    """semseg's layer0, mmseg's ResNetV1c stem, CSAIL's conv1..relu3 and the shipped compact
    model's stem all load into ``backbone.stem``: its Grad-CAM is the hand-written one."""
    from app.checkpoints import load_checkpoint
    from app.engine.ppm_analysis import capture_geometry
    from app.paths import DEFAULT_WEIGHTS
    from tests.unit.tiny_layouts import tiny_published

    loaded = load_checkpoint(DEFAULT_WEIGHTS) if layout == "shipped" else tiny_published(layout, tmp_path)
    model = loaded.model.eval()
    photo, size = (40, 56), (41, 57)
    network_input = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        low, capture = model.forward_with_capture(network_input, upsample=False)
    geometry = capture_geometry(capture, photo, size, model.cfg.align_corners)
    labels = torch.argmax(geometry.row_matrix.float() @ low[0] @ geometry.col_matrix.float().T, 0).numpy()
    present = int(np.bincount(labels.ravel()).argmax())
    region = class_region(labels, present)
    cam = stage_gradcam(model, network_input, geometry, region, present, stages=("stem",))
    score, expected = manual_cams(model, network_input, geometry, region, present)
    stem = expected[0].numpy()
    assert cam.stages == ["stem"] and cam.low[0].shape == ((size[0] + 1) // 2, (size[1] + 1) // 2)
    assert cam.score == pytest.approx(score, rel=1e-5)
    np.testing.assert_allclose(cam.low[0], stem, rtol=1e-4, atol=1e-5 * float(np.abs(stem).max()))
    assert np.abs(stem).max() > 0  # a map to compare, not zeros on both sides
