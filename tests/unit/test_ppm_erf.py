"""The effective receptive field: per-path input gradients, their sum, and the analytic field."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.ppm_analysis import capture_geometry
from app.engine.ppm_erf import backbone_field, box_fraction, receptive_field
from app.model import PSPNetConfig, build_pspnet
from tests.helpers import lively
from tests.unit.erf_fixtures import INPUT, PHOTO, small_field_case, small_field_config



@pytest.fixture(scope="module", params=[True, False], ids=["align_corners", "half_pixel"])
def case(request):
    model, network_input, geometry, low = small_field_case(request.param)
    x, y = 2, 30  # near the left edge: the features' field ends far before the right edge
    return model, network_input, geometry, low, receptive_field(model, network_input, geometry, x, y)


def test_backbone_field_matches_the_hand_count():
    # stem 3x3 s2 + 3x3 + 3x3, max-pool 3 s2: 1 + 2 + 4 + 4 + 4 = 15 px, stride 4;
    # layer1: four 3x3 at stride 4: +32 = 47; layer2: one at stride 4, three at 8: +8 +48 = 103;
    # layer3 (dilation 2, conv1 of every block; contracted first block 1, "none": conv2 at 1):
    # conv1 dilations 1, 2 and conv2 1, 1 at stride 8: +16 * (1 + 2 + 1 + 1) = 183 ...
    # layer4: conv1 dilations 2, 4, conv2 1, 1: +16 * (2 + 4 + 1 + 1) = 311
    contracted = build_pspnet(small_field_config(True))
    assert backbone_field(contracted.backbone).size == 311
    # full dilation, conv2 dilated like conv1: layer3 +16 * 2 * 4, layer4 +16 * 4 * 4 = 487
    full = build_pspnet(PSPNetConfig(num_classes=3, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16)))
    field = backbone_field(full.backbone)
    assert (field.size, field.stride, field.offset) == (487, 8, 0.0)
    resnet50 = build_pspnet(PSPNetConfig(num_classes=3, backbone="resnet50", base_width=8, stem_widths=(8, 8, 16)))
    # bottleneck: one 3x3 per block: 15 + 3 * 8 + (8 + 3 * 16) + 6 * 32 + 3 * 64
    assert backbone_field(resnet50.backbone).size == 15 + 24 + 56 + 192 + 192


def test_gradients_are_zero_outside_the_analytic_field_and_not_inside(case):
    _, _, geometry, _, rf = case
    magnitudes = rf.magnitudes()
    boxes = [rf.full_bounds, *rf.bounds]
    assert len(magnitudes) == len(boxes) == 6
    for name, magnitude, (y0, y1, x0, x1) in zip(["full", *rf.names], magnitudes, boxes):
        inside = np.zeros(magnitude.shape, dtype=bool)
        inside[y0:y1, x0:x1] = True
        assert not magnitude[~inside].any(), name
        assert magnitude[inside].any(), name
        # the box is tight: its last column is reached
        assert magnitude[y0:y1, x1 - 1].any(), name
    features_box, bin1_box = rf.bounds[0], rf.bounds[1]
    assert box_fraction(features_box, INPUT) < 0.6  # smaller than the image: the test says something
    assert bin1_box == (0, INPUT[0], 0, INPUT[1])  # the global branch sees everything
    assert box_fraction(rf.bounds[-1], INPUT) < 1.0  # bin 6 sees a part


def test_full_gradient_is_the_sum_of_the_paths_and_the_networks_own(case):
    model, network_input, geometry, _, rf = case
    image = network_input.clone().requires_grad_(True)
    low = model(image, upsample=False)[0]  # the whole network at once, no paths
    photo_logit = geometry.row_matrix[rf.y].float() @ low[rf.class_index] @ geometry.col_matrix[rf.x].float()
    (expected,) = torch.autograd.grad(photo_logit, image)
    np.testing.assert_allclose(rf.full, expected[0].numpy(), rtol=1e-3, atol=1e-6 * float(expected.abs().max()))
    assert rf.logit == pytest.approx(float(photo_logit.detach()), rel=1e-4, abs=1e-4)


def test_each_path_reaches_the_input_differently(case):
    _, _, _, _, rf = case
    magnitudes = rf.magnitudes()[1:]
    for a in range(len(magnitudes)):
        assert magnitudes[a].max() > 0, rf.names[a]
        for b in range(a + 1, len(magnitudes)):
            assert not np.allclose(magnitudes[a], magnitudes[b]), (rf.names[a], rf.names[b])


def test_predicted_class_by_default_and_any_class_on_request(case):
    model, network_input, geometry, low, rf = case
    photo = torch.einsum("h,chw,w->c", geometry.row_matrix[rf.y].float(), low[0], geometry.col_matrix[rf.x].float())
    assert rf.class_index == int(torch.argmax(photo))
    other = (rf.class_index + 1) % 5
    assert receptive_field(model, network_input, geometry, rf.x, rf.y, other).class_index == other


def test_bad_requests_are_refused(case):
    model, network_input, geometry, _, _ = case
    with pytest.raises(ValueError, match="outside"):
        receptive_field(model, network_input, geometry, PHOTO[1], 0)
    with pytest.raises(ValueError, match="network input"):
        receptive_field(model, network_input[:, :, :40], geometry, 0, 0)


def test_capture_input_is_the_input_the_segmenter_used(tiny_config):
    from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
    from app.classes import generic_classes
    from app.engine.ppm_erf import capture_input
    from app.engine.segmenter import Segmenter

    torch.manual_seed(0)
    loaded = LoadedModel(lively(build_pspnet(tiny_config)), ModelMeta("native", tiny_config,
                                                                      generic_classes(tiny_config.num_classes)))
    image = np.random.default_rng(2).integers(0, 255, (45, 70, 3), dtype=np.uint8)
    result = Segmenter(loaded, device="cpu").segment(image, ProtocolSettings(base_size=96), capture=True)
    geometry = capture_geometry(result.activations, result.size, result.input_size, tiny_config.align_corners)
    network_input = capture_input(image, geometry, loaded.meta.normalization)
    assert tuple(network_input.shape) == (1, 3, *result.input_size) != (1, 3, 45, 70)
    with torch.no_grad():
        _, features = loaded.model.backbone(network_input)
    np.testing.assert_allclose(features.numpy(), result.activations.features.float().numpy(),
                               rtol=1e-3, atol=1e-3)  # the capture is stored as float16


def test_it_runs_under_inference_mode_as_the_viewers_worker_does(case):
    model, network_input, geometry, _, rf = case
    with torch.inference_mode():
        again = receptive_field(model, network_input.clone(), geometry, rf.x, rf.y)
    np.testing.assert_allclose(again.paths, rf.paths, rtol=1e-5, atol=1e-9)
