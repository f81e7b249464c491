"""The official protocol against an independent, straightforward re-implementation.

The reference below follows the published test script's structure: one window
at a time, float64 numpy accumulation, a per-axis OpenCV-style bilinear resize.
Labels must agree except at floating-point near-ties of the reference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
from app.classes import generic_classes
from app.engine.official import centred_padding, plan_scales, window_starts
from app.engine.resize import semseg_long_side_size, stride_for_crop
from app.engine.result import Cancelled
from app.engine.segmenter import Segmenter
from app.model import PSPNetConfig, build_pspnet

MEAN = np.array([123.675, 116.28, 103.53])
STD = np.array([58.395, 57.12, 57.375])


def block_image(height: int, width: int, seed: int) -> np.ndarray:
    """A photo stand-in: 8x8 blocks of random colours (edges the network reacts to)."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3))
    return np.kron(cells, np.ones((8, 8, 1))).astype(np.uint8)[:height, :width]


def varied_loaded(align_corners: bool = True, num_classes: int = 5) -> LoadedModel:
    """A tiny random PSPNet whose predictions vary over the image (not one class everywhere).

    BN statistics are calibrated on block images and the classifier re-centred, so
    several classes win somewhere; everything is seeded.
    """
    cfg = PSPNetConfig(num_classes=num_classes, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                       ppm_channels=8, head_channels=16, align_corners=align_corners)
    torch.manual_seed(0)
    model = build_pspnet(cfg)
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.momentum = None
            mod.reset_running_stats()
    batch = np.stack([block_image(64, 64, i) for i in range(8)])
    x = (torch.from_numpy(batch).permute(0, 3, 1, 2).float() - 120) / 60
    with torch.no_grad():
        model.train()
        model(x)
        model.eval()
        model.head.classifier.weight.mul_(8)
        model.head.classifier.bias.zero_()
        model.head.classifier.bias.sub_(model(x, upsample=False).mean((0, 2, 3)))
    return LoadedModel(model, ModelMeta("native", cfg, generic_classes(num_classes)))


# --- the independent reference -------------------------------------------------------

def ref_axis(in_len: int, out_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV INTER_LINEAR source positions for one axis (half-pixel centres, clamped)."""
    x0s, x1s, fs = [], [], []
    for d in range(out_len):
        s = (d + 0.5) * in_len / out_len - 0.5
        x0 = math.floor(s)
        f = s - x0
        if x0 < 0:
            x0, f = 0, 0.0
        if x0 >= in_len - 1:
            x0, f = in_len - 1, 0.0
        x0s.append(x0)
        x1s.append(min(x0 + 1, in_len - 1))
        fs.append(f)
    return np.array(x0s), np.array(x1s), np.array(fs)


def ref_resize(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    y0, y1, fy = ref_axis(img.shape[0], out_h)
    x0, x1, fx = ref_axis(img.shape[1], out_w)
    rows = img[y0] * (1 - fy)[:, None, None] + img[y1] * fy[:, None, None]
    return rows[:, x0] * (1 - fx)[None, :, None] + rows[:, x1] * fx[None, :, None]


def ref_softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


def ref_window(model, crop_img: np.ndarray, flip: bool) -> np.ndarray:
    def run(arr: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(((arr - MEAN) / STD).transpose(2, 0, 1).copy()).float()[None]
        with torch.no_grad():
            out = model(x)[0].double().numpy().transpose(1, 2, 0)
        return ref_softmax(out)
    prob = run(crop_img)
    if flip:
        prob = (prob + run(crop_img[:, ::-1])[:, ::-1]) / 2
    return prob


def ref_official(model, image: np.ndarray, base: int, crop: int, scales, flip: bool, classes: int) -> np.ndarray:
    image = image.astype(np.float64)
    h, w, _ = image.shape
    total = np.zeros((h, w, classes))
    stride = int(np.ceil(crop * (2 / 3)))
    for scale in scales:
        long_size = round(scale * base)
        new_h, new_w = long_size, long_size
        if h > w:
            new_w = round(long_size / float(h) * w)
        else:
            new_h = round(long_size / float(w) * h)
        scaled = ref_resize(image, new_h, new_w)
        pad_h, pad_w = max(crop - new_h, 0), max(crop - new_w, 0)
        ph, pw = int(pad_h / 2), int(pad_w / 2)
        padded = np.empty((new_h + pad_h, new_w + pad_w, 3))
        padded[:] = MEAN
        padded[ph:ph + new_h, pw:pw + new_w] = scaled
        H, W = padded.shape[:2]
        acc = np.zeros((H, W, classes))
        cnt = np.zeros((H, W))
        for ih in range(int(np.ceil((H - crop) / stride) + 1)):
            for iw in range(int(np.ceil((W - crop) / stride) + 1)):
                e_h = min(ih * stride + crop, H)
                e_w = min(iw * stride + crop, W)
                s_h, s_w = e_h - crop, e_w - crop
                acc[s_h:e_h, s_w:e_w] += ref_window(model, padded[s_h:e_h, s_w:e_w], flip)
                cnt[s_h:e_h, s_w:e_w] += 1
        acc /= cnt[:, :, None]
        acc = acc[ph:ph + new_h, pw:pw + new_w]
        total += ref_resize(acc, h, w)
    return total / len(scales)


def assert_same_labels(labels: np.ndarray, reference_probs: np.ndarray, min_checked: float = 0.97) -> None:
    top2 = np.sort(reference_probs, axis=2)[:, :, -2:]
    decided = (top2[:, :, 1] - top2[:, :, 0]) > 1e-5  # outside floating-point near-ties
    assert decided.mean() >= min_checked
    expected = reference_probs.argmax(axis=2)
    assert np.array_equal(labels[decided], expected[decided])


# --- geometry ----------------------------------------------------------------------

def test_window_placement_matches_the_published_rule():
    assert stride_for_crop(473) == 316 and stride_for_crop(713) == 476 and stride_for_crop(33) == 22
    assert window_starts(473, 473, 316) == [0]
    assert window_starts(512, 473, 316) == [0, 39]  # last window flush with the far edge
    assert window_starts(1000, 473, 316) == [0, 316, 527]
    assert window_starts(64, 33, 22) == [0, 22, 31]
    with pytest.raises(ValueError):
        window_starts(30, 33, 22)


def test_padding_is_centred_with_the_smaller_half_first():
    assert centred_padding(307, 473) == (83, 83)
    assert centred_padding(306, 473) == (83, 84)
    assert centred_padding(500, 473) == (0, 0)


def test_scale_plan_for_a_landscape_photo():
    settings = ProtocolSettings("official", base_size=512, crop_size=473, scales=(1.0, 0.5), flip=True)
    full, half = plan_scales(300, 500, settings)
    assert full.size == (307, 512) and full.padding == (83, 83, 0, 0)
    assert full.windows == ((0, 0), (0, 39))
    assert half.size == (154, 256) and half.padded_size == (473, 473) and half.windows == ((0, 0),)
    assert semseg_long_side_size(200, 100, 5) == (5, 2)  # Python's round: 2.5 -> 2, as semseg


# --- against the reference ---------------------------------------------------------

@pytest.mark.parametrize("shape,base,crop,scales,flip", [
    ((70, 100), 96, 49, (0.5, 1.0), True),    # padding at one scale, two windows at the other
    ((100, 70), 64, 33, (1.0,), False),       # portrait, three overlapping windows vertically
])
def test_official_labels_match_the_straightforward_loop(shape, base, crop, scales, flip):
    loaded = varied_loaded(align_corners=True)
    image = block_image(*shape, seed=7)
    settings = ProtocolSettings("official", base_size=base, crop_size=crop, scales=scales, flip=flip)
    result = Segmenter(loaded, "cpu", window_batch=3).segment(image, settings)
    reference = ref_official(loaded.model, image, base, crop, scales, flip, 5)
    assert len(result.present_classes()) >= 2  # a test that could fail
    assert_same_labels(result.labels, reference)
    np.testing.assert_allclose(result.confidence, reference.max(axis=2), atol=2e-4)


def test_flip_averaging_makes_the_result_mirror_symmetric():
    loaded = varied_loaded()
    image = block_image(30, 41, seed=3)
    flipped = np.ascontiguousarray(image[:, ::-1])
    seg = Segmenter(loaded, "cpu")
    with_flip = ProtocolSettings("official", base_size=41, crop_size=49, flip=True)
    a, b = seg.segment(image, with_flip), seg.segment(flipped, with_flip)
    np.testing.assert_allclose(b.confidence, a.confidence[:, ::-1], atol=1e-5)
    without = with_flip.with_overrides(flip=False)
    c, d = seg.segment(image, without), seg.segment(flipped, without)
    assert not np.allclose(d.confidence, c.confidence[:, ::-1], atol=1e-3)


def test_window_batch_size_does_not_change_the_result():
    loaded = varied_loaded()
    image = block_image(60, 90, seed=5)
    settings = ProtocolSettings("official", base_size=90, crop_size=33, scales=(0.75, 1.0), flip=True)
    one = Segmenter(loaded, "cpu", window_batch=1).segment(image, settings)
    many = Segmenter(loaded, "cpu", window_batch=16).segment(image, settings)
    np.testing.assert_allclose(one.confidence, many.confidence, atol=1e-5)


def test_progress_counts_windows_and_cancel_stops_between_them():
    loaded = varied_loaded()
    image = block_image(60, 90, seed=5)
    settings = ProtocolSettings("official", base_size=90, crop_size=33, scales=(0.5, 1.0), flip=False)
    plans = plan_scales(60, 90, settings)
    total = sum(len(p.windows) for p in plans)
    calls: list[tuple[int, int]] = []
    Segmenter(loaded, "cpu", window_batch=1).segment(image, settings, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, total) for i in range(1, total + 1)]

    import threading
    cancel = threading.Event()
    seen: list[int] = []

    def stop_after_two(done: int, _total: int) -> None:
        seen.append(done)
        if done == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        Segmenter(loaded, "cpu", window_batch=1).segment(image, settings, cancel=cancel, progress=stop_after_two)
    assert seen == [1, 2]
