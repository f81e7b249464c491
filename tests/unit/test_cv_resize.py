"""The uint8 resize equals OpenCV's INTER_LINEAR value for value (mmseg's input pixels).

tests/data/opencv_resize_digests.json holds SHA-256 prefixes of OpenCV's resize of random
images, written by tests/data/regenerate_opencv_digests.py (which says how they are made;
OpenCV 4.10.0, 5.0.0 and 4.14.0 gave the same). With cv2 installed (the test extra has
it) the file is checked against OpenCV and the resize compared live as well.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.engine.resize import resize_image
from tests.data.regenerate_opencv_digests import case_image, digest, opencv_digests, read_digests

OPENCV_DIGESTS = read_digests()["cases"]


def _ours(img: np.ndarray, out_h: int, out_w: int, budget: int | None = None) -> np.ndarray:
    kw = {"budget": budget} if budget else {}
    planes = resize_image(img, out_h, out_w, round_to_uint8=True, **kw)
    return planes.permute(1, 2, 0).to(torch.uint8).numpy()


@pytest.mark.parametrize("index", range(len(OPENCV_DIGESTS)))
def test_uint8_resize_is_opencvs_value_for_value(index):
    case = OPENCV_DIGESTS[index]
    (h, w), (oh, ow) = case["input"], case["output"]
    img = case_image(index, h, w)
    out = _ours(img, oh, ow)
    assert digest(out) == case["sha256_16"]
    if index in (0, 3):  # strips of one row give the same values
        assert np.array_equal(_ours(img, oh, ow, budget=1), out)


def test_differs_from_a_rounded_float_resize():
    """The reason for the fixed-point emulation: rounding a float resize is off by one on
    about an eighth of the values."""
    img = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    fixed = _ours(img, 512, 683).astype(np.int16)
    rounded = resize_image(img, 512, 683, round_to_uint8=False).round().permute(1, 2, 0).numpy()
    diff = np.abs(fixed - rounded)
    assert diff.max() == 1 and 0.05 < (diff > 0).mean() < 0.25


def test_the_digests_file_is_what_this_opencv_makes():
    pytest.importorskip("cv2")
    assert opencv_digests()["cases"] == OPENCV_DIGESTS


def test_live_against_opencv_when_installed():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(5)
    for _ in range(12):
        h, w = (int(v) for v in rng.integers(2, 700, 2))
        oh, ow = (int(v) for v in rng.integers(1, 900, 2))
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ref = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR)
        assert np.array_equal(_ours(img, oh, ow), ref), ((h, w), (oh, ow))
