"""The official protocol against an independent, straightforward re-implementation
(tests/unit/reference_official.py): labels must agree except at floating-point near-ties
of the reference."""

from __future__ import annotations

import numpy as np
import pytest

from app.checkpoints.meta import ProtocolSettings
from app.engine.official import centred_padding, plan_scales, window_starts
from app.engine.resize import semseg_long_side_size, stride_for_crop
from app.engine.result import Cancelled
from app.engine.segmenter import Segmenter
from tests.engine_fixtures import block_image, varied_loaded
from tests.unit.reference_official import assert_same_labels, ref_official


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
