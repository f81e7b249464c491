"""The ``ms`` protocol of each format against straightforward re-implementations of the
published rules: mmseg's test-time augmentation, CSAIL's multi-size test, semseg's
multi-scale windows. Labels must agree outside floating-point near-ties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from app.checkpoints.meta import ProtocolSettings
from app.engine.fast import fast_input_size
from app.engine.ms import mmseg_tta_size, plan_passes
from app.engine.resize import resize_image
from app.engine.segmenter import Segmenter
from tests.engine_fixtures import block_image
from tests.unit.reference_official import assert_same_labels, normalised, ref_official
from tests.unit.tiny_layouts import tiny_published

MS_RATIOS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)


def low_res(model, planes: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        return model(normalised(planes), upsample=False)


def softmax_hwc(logits: torch.Tensor) -> np.ndarray:
    return torch.softmax(logits.double(), dim=1)[0].numpy().transpose(1, 2, 0)


# --- size rules ------------------------------------------------------------------------

def mmseg_rescale(h: int, w: int, scale: tuple[int, int]) -> tuple[int, int]:
    """mmcv's rescale_size, written out: factor from the scale's long and short edges."""
    factor = min(max(scale) / max(h, w), min(scale) / min(h, w))
    return int(h * factor + 0.5), int(w * factor + 0.5)


def test_mmseg_tta_sizes_follow_the_scale_times_each_ratio():
    for h, w in [(480, 640), (512, 683), (375, 500), (100, 1000), (683, 512), (1024, 2048)]:
        for r in MS_RATIOS:
            scale = (int(2048 * r), int(512 * r))  # the multi-scale test's scales
            assert mmseg_tta_size(h, w, r, 2048, 512) == mmseg_rescale(h, w, scale), (h, w, r)
    # ratio 1 is the single-scale test's Resize((2048, 512), keep_ratio)
    single = ProtocolSettings(base_size=512, resize_side="short", max_long=2048)
    assert mmseg_tta_size(480, 640, 1.0, 2048, 512) == fast_input_size(480, 640, single) == (512, 683)
    assert mmseg_tta_size(480, 640, 0.5, 2048, 512) == (256, 341)
    assert mmseg_tta_size(100, 1000, 1.75, 2048, 512) == (358, 3584)  # the long edge limits


def test_the_plans_have_every_pass_of_the_published_tests(tmp_path):
    mm = tiny_published("mmseg", tmp_path).meta.protocol("ms")
    passes = plan_passes(480, 640, mm)
    assert len(passes) == 12 and [p.flip for p in passes[:2]] == [False, True]
    assert passes[4].size == (512, 683) and all(p.via_input for p in passes)
    cs = tiny_published("csail", tmp_path).meta.protocol("ms")
    assert cs.sizes == (300, 375, 450, 525, 600) and cs.max_long == 1000
    sizes = [p.size for p in plan_passes(480, 640, cs)]
    assert sizes == [(304, 400), (376, 504), (456, 600), (528, 704), (600, 800)]
    assert not any(p.flip or p.via_input for p in plan_passes(480, 640, cs))
    ss = tiny_published("semseg", tmp_path).meta.protocol("ms")
    assert (ss.style, ss.scales, ss.flip, ss.base_size, ss.crop_size) == ("semseg", MS_RATIOS, True, 512, 473)


# --- against the references --------------------------------------------------------------

def ref_mmseg_tta(model, image: np.ndarray, ratios, max_long: int, base: int, flip: bool,
                  align_corners: bool) -> np.ndarray:
    """SegTTAModel over the multi-scale pipeline, one pass at a time."""
    h, w = image.shape[:2]
    total = 0.0
    passes = 0
    for r in ratios:
        nh, nw = mmseg_rescale(h, w, (int(max_long * r), int(base * r)))
        # the uint8 OpenCV resize (reproduced value for value, test_cv_resize.py)
        resized = resize_image(image, nh, nw, round_to_uint8=True).permute(1, 2, 0).numpy().astype(np.float64)
        for mirrored in ((False, True) if flip else (False,)):
            planes = resized[:, ::-1] if mirrored else resized
            logits = F.interpolate(low_res(model, planes), (nh, nw), mode="bilinear", align_corners=align_corners)
            if mirrored:
                logits = logits.flip(3)
            logits = F.interpolate(logits, (h, w), mode="bilinear", align_corners=align_corners)
            total = total + softmax_hwc(logits)
            passes += 1
    return total / passes


def ref_csail_multi_size(model, image: np.ndarray, sizes, max_size: int) -> np.ndarray:
    """CSAIL's TestDataset + test.py: each size's softmax at the original size, averaged."""
    h, w = image.shape[:2]
    total = 0.0
    for short in sizes:
        scale = min(short / float(min(h, w)), max_size / float(max(h, w)))
        th, tw = int(h * scale), int(w * scale)
        th, tw = ((th - 1) // 8 + 1) * 8, ((tw - 1) // 8 + 1) * 8
        planes = np.array(Image.fromarray(image).resize((tw, th), Image.BILINEAR)).astype(np.float64)
        logits = F.interpolate(low_res(model, planes), (h, w), mode="bilinear", align_corners=False)
        total = total + softmax_hwc(logits)
    return total / len(sizes)


@pytest.mark.parametrize("shape", [(75, 110), (90, 60)])
def test_mmseg_ms_matches_its_test_time_augmentation(tmp_path, shape):
    loaded = tiny_published("mmseg", tmp_path)
    image = block_image(*shape, seed=21)
    settings = loaded.meta.protocol("ms").with_overrides(base_size=48, max_long=96)
    result = Segmenter(loaded, "cpu").segment(image, settings)
    reference = ref_mmseg_tta(loaded.model, image, MS_RATIOS, 96, 48, True, loaded.model.cfg.align_corners)
    assert len(result.present_classes()) >= 2
    assert_same_labels(result.labels, reference)
    np.testing.assert_allclose(result.confidence, reference.max(axis=2), atol=1e-4)
    # and it is not the single-scale answer
    fast = Segmenter(loaded, "cpu").segment(image, loaded.meta.protocol("fast").with_overrides(
        base_size=48, max_long=96))
    assert (fast.labels != result.labels).any()


def test_mmseg_ms_with_flip_is_mirror_symmetric(tmp_path):
    loaded = tiny_published("mmseg", tmp_path)
    image = block_image(40, 58, seed=4)
    seg = Segmenter(loaded, "cpu")
    settings = loaded.meta.protocol("ms").with_overrides(base_size=40, max_long=80, scales=(0.75, 1.0))
    a = seg.segment(image, settings)
    b = seg.segment(np.ascontiguousarray(image[:, ::-1]), settings)
    np.testing.assert_allclose(b.confidence, a.confidence[:, ::-1], atol=1e-5)


def test_csail_ms_matches_its_multi_size_test(tmp_path):
    loaded = tiny_published("csail", tmp_path)
    image = block_image(75, 110, seed=22)
    settings = loaded.meta.protocol("ms").with_overrides(sizes=(40, 50, 60, 70, 80), max_long=133)
    progress: list[tuple[int, int]] = []
    result = Segmenter(loaded, "cpu").segment(image, settings, progress=lambda d, t: progress.append((d, t)))
    reference = ref_csail_multi_size(loaded.model, image, (40, 50, 60, 70, 80), 133)
    assert len(result.present_classes()) >= 2 and progress[-1] == (5, 5)
    assert_same_labels(result.labels, reference)
    np.testing.assert_allclose(result.confidence, reference.max(axis=2), atol=1e-4)


def test_csail_ms_memory_strips_do_not_change_the_labels(tmp_path):
    from app.engine.ms import run_multi_scale

    loaded = tiny_published("csail", tmp_path)
    image = block_image(50, 70, seed=23)
    settings = loaded.meta.protocol("ms").with_overrides(sizes=(40, 56), max_long=100)

    def forward(x):
        with torch.no_grad():
            return loaded.model(x, upsample=False)

    args = (forward, image, settings, loaded.meta.normalization, False, np.dtype(np.uint8), torch.device("cpu"))
    whole, strips = run_multi_scale(*args), run_multi_scale(*args, budget=1)
    assert np.array_equal(whole[0], strips[0])
    np.testing.assert_allclose(whole[1], strips[1], rtol=1e-6)


def test_semseg_ms_is_the_official_windows_at_six_scales(tmp_path):
    loaded = tiny_published("semseg", tmp_path)
    image = block_image(50, 70, seed=24)
    settings = loaded.meta.protocol("ms").with_overrides(base_size=40, crop_size=33)
    result = Segmenter(loaded, "cpu", window_batch=4).segment(image, settings)
    reference = ref_official(loaded.model, image, 40, 33, MS_RATIOS, True, 5)
    assert len(result.present_classes()) >= 2
    assert_same_labels(result.labels, reference)
