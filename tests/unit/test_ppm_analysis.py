"""The pyramid pooling inspector's Qt-free analysis: maps, contributions, ablation, export."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from app.engine.fast import labels_from_logits
from app.engine.ppm_ablation import edit_parts, run_ablation
from app.engine.ppm_analysis import PPMActivations, capture_geometry, pca_rgb, top_components
from app.engine.ppm_contrib import attribute_pixel, contribution_maps, head_parts
from app.engine.ppm_export import save_activations_npz, save_map_png, viridis_lut
from app.engine.ppm_geometry import CaptureGeometry, labels_at_photo_size
from app.model import build_pspnet
from tests.engine_fixtures import perturb_bn, ppm_capture
from tests.helpers import lively


@pytest.fixture
def model(tiny_model):
    return perturb_bn(tiny_model)


@pytest.fixture
def capture(model):
    return ppm_capture(model)


def _geometry(model, cap, image_size=(50, 70)):
    return capture_geometry(cap, image_size, (64, 80), model.cfg.align_corners)


def _photo_logits_reference(model, low, geometry):
    """The fast protocol's path spelled out: upsample_logits to the input, then to the photo."""
    up = model.upsample_logits(low[None], geometry.input_size)
    return model.upsample_logits(up, geometry.image_size)[0]


# --- contributions ----------------------------------------------------------------

def test_parts_add_up_to_the_head_conv_response(model, capture):
    parts = head_parts(capture)
    with torch.inference_mode():
        shares = model.head_conv_parts(parts)
        full = model.head.conv(torch.cat(parts, dim=1))
    assert len(shares) == 1 + len(capture.bins)
    torch.testing.assert_close(torch.stack(shares).sum(0), full, atol=1e-5, rtol=1e-5)


def test_contribution_maps_add_up_to_the_predicted_logit(model, capture):
    maps = contribution_maps(model, capture)
    with torch.inference_mode():
        logits = model.head_from_parts(head_parts(capture))[0].numpy()
    np.testing.assert_allclose(maps.logits, logits, atol=1e-4, rtol=1e-4)
    np.testing.assert_array_equal(maps.predicted, logits.argmax(0))
    chosen = np.take_along_axis(logits, maps.predicted[None], axis=0)[0]
    np.testing.assert_allclose(maps.shares.sum(0) + maps.bias, chosen, atol=1e-4, rtol=1e-4)
    assert maps.shares.shape == (5, *capture.features.shape[2:])
    assert np.abs(maps.shares[1:]).sum() > 0  # the branches do contribute something
    assert maps.fractions().sum() == pytest.approx(1.0)


@pytest.mark.parametrize("align_corners", [False, True])
def test_pixel_attribution_is_exact_at_photo_pixels(tiny_config, align_corners):
    model = perturb_bn(build_pspnet(dataclasses.replace(tiny_config, align_corners=align_corners)))
    cap = ppm_capture(model, (65, 81) if align_corners else (64, 80))
    geometry = capture_geometry(cap, (47, 73), (65, 81) if align_corners else (64, 80), align_corners)
    with torch.inference_mode():
        low = model.head_from_parts(head_parts(cap))[0]
        photo = _photo_logits_reference(model, low, geometry)
    for x, y in [(0, 0), (72, 46), (31, 20), (5, 40)]:
        att = attribute_pixel(model, cap, geometry, x, y)
        expected = photo[:, y, x].double().numpy()
        np.testing.assert_allclose(att.logits, expected, atol=1e-4, rtol=1e-4)
        assert att.class_index == int(expected.argmax())
        assert att.shares.sum() + att.bias == pytest.approx(att.logit, abs=1e-4)
        assert sum(w for _, _, w in att.cells) == pytest.approx(1.0)
    other = attribute_pixel(model, cap, geometry, 10, 10, class_index=2)
    assert other.class_index == 2 and other.logit == pytest.approx(float(photo[2, 10, 10]), abs=1e-4)
    with pytest.raises(ValueError, match="outside"):
        attribute_pixel(model, cap, geometry, 73, 0)


# --- geometry -----------------------------------------------------------------------

@pytest.mark.parametrize("align_corners", [False, True])
def test_photo_labels_match_the_two_stage_resize(model, capture, align_corners):
    geometry = dataclasses.replace(_geometry(model, capture), align_corners=align_corners)
    model.cfg = dataclasses.replace(model.cfg, align_corners=align_corners)
    with torch.inference_mode():
        low = model.head_from_parts(head_parts(capture))[0]
        expected = _photo_logits_reference(model, low, geometry).argmax(0).numpy()
    labels = labels_at_photo_size(geometry, low, max_elements=500)  # many small bands
    assert labels.shape == geometry.image_size and labels.dtype == np.uint8
    assert (labels == expected).mean() > 0.999  # float near-ties only
    engine, _ = labels_from_logits(low, geometry.input_size, geometry.image_size, align_corners, np.uint8)
    assert (labels == engine).mean() > 0.999  # the same labels as the engine's fast protocol


def test_feature_rect_and_cells():
    g = CaptureGeometry((64, 80), (64, 80), (8, 10), align_corners=False)
    assert g.feature_rect() == pytest.approx((0.0, 0.0, 80.0, 64.0))
    assert g.nearest_cell(0, 0) == (0, 0) and g.nearest_cell(79, 63) == (7, 9)
    assert g.nearest_cell(12, 20) == (2, 1)
    # align_corners=True: the first and last cells are sampled at the photo's edge pixels.
    g2 = CaptureGeometry((65, 81), (65, 81), (9, 11), align_corners=True)
    x, y, w, h = g2.feature_rect()
    assert x == pytest.approx(-3.5) and w == pytest.approx(88.0) and h == pytest.approx(72.0)
    assert g2.pixel_cells(0, 0) == [(0, 0, 1.0)]


# --- ablation -----------------------------------------------------------------------

def test_ablating_a_branch_with_zero_weights_changes_nothing(model, capture):
    branch = 2  # bin 2
    with torch.no_grad():
        model.head.conv.weight[:, model.head_input_slices()[branch]] = 0
    result = run_ablation(model, capture, _geometry(model, capture), [branch], "zero")
    assert not result.changed.any()
    before, after = result.class_pixels()
    np.testing.assert_array_equal(before, after)


def test_mean_replacement_of_the_bin1_branch_changes_nothing(model, capture):
    assert capture.bins[0] == 1
    parts = head_parts(capture)
    edited = edit_parts(parts, [1], "mean")
    torch.testing.assert_close(edited[1], parts[1], atol=1e-6, rtol=1e-6)
    result = run_ablation(model, capture, _geometry(model, capture), [1], "mean")
    assert result.changed_fraction == 0.0


def test_ablation_changes_labels_and_reports_areas(model, capture):
    geometry = _geometry(model, capture)
    result = run_ablation(model, capture, geometry, [0], "zero")  # the features off: only context left
    assert result.changed.any()
    with torch.inference_mode():
        parts = head_parts(capture)
        parts[0] = torch.zeros_like(parts[0])
        expected = _photo_logits_reference(model, model.head_from_parts(parts)[0], geometry).argmax(0)
    assert (result.ablated == expected.numpy()).mean() > 0.999
    before, after = result.class_pixels()
    assert before.sum() == after.sum() == 50 * 70
    rows = result.area_changes()
    assert abs(sum(a - b for _, b, a in rows)) < 1e-9
    assert abs(rows[0][2] - rows[0][1]) == max(abs(a - b) for _, b, a in rows)
    mean_all = run_ablation(model, capture, geometry, [2, 3, 4], "mean")
    assert mean_all.parts_off == (2, 3, 4) and mean_all.mode == "mean"
    with pytest.raises(ValueError, match="mode"):
        edit_parts(parts, [1], "blur")


def test_baseline_logits_can_be_reused(model, capture):
    geometry = _geometry(model, capture)
    maps = contribution_maps(model, capture)
    a = run_ablation(model, capture, geometry, [4], "zero")
    b = run_ablation(model, capture, geometry, [4], "zero", baseline_logits=maps.logits)
    assert (a.baseline == b.baseline).mean() > 0.999
    np.testing.assert_array_equal(a.ablated, b.ablated)


# --- maps and reductions -------------------------------------------------------------

def test_reductions_channels_and_cache(model, capture):
    acts = PPMActivations(capture, _geometry(model, capture))
    feats = capture.features[0].float().numpy()
    np.testing.assert_allclose(acts.reduce(0, "upsampled", "mean"), feats.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts.reduce(0, "pooled", "max"), feats.max(0))
    np.testing.assert_allclose(acts.reduce(0, "upsampled", "l2"), np.linalg.norm(feats, axis=0), rtol=1e-5)
    assert acts.reduce(0, "upsampled", "l2") is acts.reduce(0, "upsampled", "l2")  # cached
    pooled = acts.reduce(3, "pooled", "channel", 5)
    assert pooled.shape == (3, 3) and pooled.dtype == np.float32
    np.testing.assert_array_equal(pooled, capture.pooled[2][0, 5].float().numpy())
    assert acts.reduce(3, "upsampled", "mean").shape == tuple(capture.features.shape[2:])
    with pytest.raises(IndexError):
        acts.channel(1, "pooled", acts.channel_count(1))
    with pytest.raises(ValueError):
        acts.reduce(1, "pooled", "median")
    top = acts.top_channels(4, count=5)
    scores = capture.upsampled[3][0].float().mean(dim=(1, 2)).numpy()
    assert [i for i, _ in top] == list(np.argsort(-scores, kind="stable")[:5])
    assert acts.array(0).dtype == np.float16


def test_pca_rgb_finds_the_structure():
    rng = np.random.default_rng(0)
    h, w, c = 12, 16, 40
    yy, xx = np.mgrid[0:h, 0:w]
    pattern = np.stack([xx / w, yy / h], axis=0).reshape(2, -1)
    mixing = rng.normal(size=(c, 2)) * np.array([3.0, 1.0])
    data = (mixing @ pattern).reshape(c, h, w) + rng.normal(scale=1e-3, size=(c, h, w))
    rgb, variance = pca_rgb(data.astype(np.float32))
    assert rgb.shape == (h, w, 3) and rgb.min() >= 0 and rgb.max() <= 1
    assert variance[:2].sum() > 0.99 and variance[2] < 0.01
    # each of the first two components is a linear ramp of the pattern
    for ch in range(2):
        corr = max(abs(np.corrcoef(rgb[..., ch].ravel(), p)[0, 1]) for p in pattern)
        assert corr > 0.95
    again, _ = pca_rgb(data.astype(np.float32))
    np.testing.assert_array_equal(rgb, again)
    flat, var0 = pca_rgb(np.ones((8, 1, 1), np.float32))
    assert np.all(flat == 0.5) and np.all(var0 == 0)


def test_randomized_pca_agrees_with_the_exact_one():
    rng = np.random.default_rng(1)
    samples = torch.from_numpy(rng.normal(size=(300, 50)) @ np.diag(5 * 0.8 ** np.arange(50)))
    samples = samples - samples.mean(0)
    s_exact, _, e_exact = top_components(samples, 3)
    s_rand, _, e_rand = top_components(samples, 3, exact_below=0)
    torch.testing.assert_close(e_rand, e_exact, rtol=1e-3, atol=1e-6)
    for k in range(3):
        corr = torch.corrcoef(torch.stack([s_exact[:, k], s_rand[:, k]]))[0, 1].abs()
        assert corr > 0.999


# --- export -------------------------------------------------------------------------

def test_export_png_and_npz(model, capture, tmp_path):
    geometry = _geometry(model, capture)
    values = np.linspace(0, 1, 8 * 10, dtype=np.float32).reshape(8, 10)
    out = save_map_png(tmp_path / "map.png", values, (0.0, 1.0), min_long_side=100)
    with Image.open(out) as img:
        assert img.size == (100, 80) and img.mode == "RGB"
        pixels = np.asarray(img)
    lut = viridis_lut()
    assert tuple(pixels[0, 0]) == tuple(lut[0]) and tuple(pixels[-1, -1]) == tuple(lut[-1])
    rgb = np.zeros((4, 4, 3), np.float32)
    rgb[..., 0] = 1.0
    with Image.open(save_map_png(tmp_path / "pca.png", rgb, min_long_side=4)) as img:
        assert np.asarray(img)[0, 0].tolist() == [255, 0, 0]

    npz = save_activations_npz(tmp_path / "acts.npz", capture, geometry)
    with np.load(npz) as data:
        assert data["features"].dtype == np.float16
        np.testing.assert_array_equal(data["features"], capture.features[0].numpy())
        assert list(data["bins"]) == [1, 2, 3, 6]
        assert data["pooled_3"].shape[1:] == (6, 6)
        np.testing.assert_array_equal(data["upsampled_1"], capture.upsampled[1][0].numpy())
        assert tuple(data["image_size"]) == (50, 70) and tuple(data["input_size"]) == (64, 80)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acts.npz", "map.png", "pca.png"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_map_png(tmp_path / "missing" / "x.png", values)


# --- with the engine ------------------------------------------------------------------

@pytest.mark.parametrize("align_corners", [False, True])
def test_head_rerun_reproduces_the_engines_labels(tiny_config, align_corners):
    """The inspector's baseline is the engine's fast-protocol segmentation (float16 capture aside)."""
    from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
    from app.classes import generic_classes
    from app.engine.segmenter import Segmenter

    cfg = dataclasses.replace(tiny_config, align_corners=align_corners)
    torch.manual_seed(0)
    model = lively(build_pspnet(cfg))
    segmenter = Segmenter(LoadedModel(model, ModelMeta("native", cfg, generic_classes(5))), device="cpu")
    rng = np.random.default_rng(0)
    image = np.repeat(np.repeat(rng.integers(0, 255, (6, 9, 3), dtype=np.uint8), 9, 0), 9, 1)[:50, :77]
    result = segmenter.segment(image, ProtocolSettings(base_size=64), capture=True)
    cap = result.activations
    assert cap is not None and cap.features.dtype == torch.float16
    geometry = capture_geometry(cap, result.size, result.input_size, align_corners)
    ablation = run_ablation(model, cap, geometry, [], "zero")
    assert len(np.unique(result.labels)) > 1  # a map worth comparing
    assert (ablation.baseline == result.labels).mean() > 0.99
    x, y = 40, 20
    att = attribute_pixel(model, cap, geometry, x, y)
    assert att.class_index == int(result.labels[y, x]) or att.logits.max() - np.sort(att.logits)[-2] < 0.05
