"""mmseg's slide inference: its grid rule on edge sizes, and the labels against a
straightforward loop written from slide_inference's published rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.engine.fast import fast_input_size
from app.engine.resize import resize_image
from app.engine.segmenter import Segmenter
from app.engine.slide import grid_windows, slide_windows
from tests.unit.reference_official import assert_labels_are_the_argmax, normalised
from tests.unit.tiny_layouts import tiny_published
from tests.engine_fixtures import block_image


def mmseg_grid(length: int, crop: int, stride: int) -> list[tuple[int, int]]:
    """slide_inference's loop, as written there: grids, then each window shifted inside."""
    grids = max(length - crop + stride - 1, 0) // stride + 1
    out = []
    for idx in range(grids):
        y1 = idx * stride
        y2 = min(y1 + crop, length)
        y1 = max(y2 - crop, 0)
        out.append((y1, y2))
    return out


def test_grid_rule_on_edge_sizes():
    assert grid_windows(512, 512, 341) == [(0, 512)]                  # exactly one crop
    assert grid_windows(513, 512, 341) == [(0, 512), (1, 513)]        # one pixel more: a shifted second
    assert grid_windows(300, 512, 341) == [(0, 300)]                  # shorter than the crop: the side
    assert grid_windows(1000, 512, 341) == [(0, 512), (341, 853), (488, 1000)]
    assert grid_windows(1024, 769, 513) == [(0, 769), (255, 1024)]    # Cityscapes' 769 windows
    assert grid_windows(2049, 769, 513) == [(0, 769), (513, 1282), (1026, 1795), (1280, 2049)]
    for length in range(1, 140):
        for crop, stride in [(64, 43), (64, 64), (64, 16), (33, 1), (50, 49)]:
            assert grid_windows(length, crop, stride) == mmseg_grid(length, crop, stride), (length, crop, stride)
            covered = np.zeros(length, int)
            for a, b in grid_windows(length, crop, stride):
                assert b - a == min(crop, length)
                covered[a:b] += 1
            assert covered.min() >= 1  # every pixel seen: the count never divides by zero


def ref_slide(model, image: np.ndarray, size: tuple[int, int], crop: int, stride: int,
              align_corners: bool) -> torch.Tensor:
    """One window at a time: logits upsampled to the window, summed, divided by the
    count, then resized to the original size. Returns (C, H, W) logits."""
    h, w = image.shape[:2]
    nh, nw = size
    # mmseg's uint8 OpenCV resize (reproduced value for value, test_cv_resize.py)
    resized = resize_image(image, nh, nw, round_to_uint8=True).permute(1, 2, 0).numpy().astype(np.float64)
    x = normalised(resized)
    preds = torch.zeros((1, model.cfg.num_classes, nh, nw), dtype=torch.float64)
    count = torch.zeros((1, 1, nh, nw), dtype=torch.float64)
    for y1, y2 in mmseg_grid(nh, crop, stride):
        for x1, x2 in mmseg_grid(nw, crop, stride):
            with torch.no_grad():
                low = model(x[:, :, y1:y2, x1:x2], upsample=False)
            logits = F.interpolate(low, (y2 - y1, x2 - x1), mode="bilinear", align_corners=align_corners)
            preds += F.pad(logits.double(), (x1, nw - x2, y1, nh - y2))
            count[:, :, y1:y2, x1:x2] += 1
    preds = preds / count
    return F.interpolate(preds, (h, w), mode="bilinear", align_corners=align_corners)[0]


@pytest.mark.parametrize("shape,crop,stride", [
    ((75, 110), 40, 27),   # a grid of windows, the last ones shifted inside the image
    ((60, 90), 64, 48),    # the short side is shorter than the crop: one window of that side
])
def test_slide_matches_mmsegs_slide_inference(tmp_path, shape, crop, stride):
    loaded = tiny_published("mmseg", tmp_path)
    image = block_image(*shape, seed=31)
    settings = loaded.meta.protocol("slide").with_overrides(base_size=56, max_long=120, crop_size=crop,
                                                            stride=stride)
    size = fast_input_size(*shape, settings)  # the test pipeline's keep-ratio Resize
    assert len(slide_windows(*size, settings)) > 1
    result = Segmenter(loaded, "cpu", window_batch=3).segment(image, settings)
    reference = ref_slide(loaded.model, image, size, crop, stride, loaded.model.cfg.align_corners)
    probs = assert_labels_are_the_argmax(result, reference.float())
    np.testing.assert_allclose(result.confidence, probs.max(0), atol=1e-4)


def test_slide_does_not_depend_on_the_window_batch(tmp_path):
    loaded = tiny_published("mmseg", tmp_path)
    image = block_image(50, 80, seed=32)
    settings = loaded.meta.protocol("slide").with_overrides(base_size=50, max_long=100, crop_size=32,
                                                            stride=20)
    calls: list[tuple[int, int]] = []
    one = Segmenter(loaded, "cpu", window_batch=1).segment(image, settings,
                                                           progress=lambda d, t: calls.append((d, t)))
    many = Segmenter(loaded, "cpu", window_batch=5).segment(image, settings)
    total = len(slide_windows(*fast_input_size(50, 80, settings), settings))
    assert calls == [(i, total) for i in range(1, total + 1)]
    assert np.array_equal(one.labels, many.labels)
    np.testing.assert_allclose(one.confidence, many.confidence, atol=1e-5)


def test_only_mmseg_checkpoints_offer_slide(tmp_path):
    mm = tiny_published("mmseg", tmp_path).meta.protocol("slide")
    assert (mm.crop_size, mm.stride, mm.base_size, mm.max_long) == (512, 341, 512, 2048)
    for fmt in ("semseg", "csail"):
        (tmp_path / fmt).mkdir()
        meta = tiny_published(fmt, tmp_path / fmt).meta
        assert "slide" not in meta.protocols
        with pytest.raises(ValueError, match="does not offer the 'slide' protocol"):
            meta.protocol("slide")
