"""The uint8 resize equals OpenCV's INTER_LINEAR value for value (mmseg's input pixels).

The digests below are SHA-256 prefixes of ``cv2.resize(img, (w, h), cv2.INTER_LINEAR)``
for random images ``default_rng(i).integers(0, 256, (H, W, 3), uint8)``, made with
OpenCV 4.10.0 and 5.0.0 (identical). Where cv2 is installed it is also compared live.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from app.engine.resize import resize_image

OPENCV_DIGESTS = [
    ((480, 640), (512, 683), "7daaf93c288ac753"), ((375, 500), (512, 683), "97442fcbc07f5f53"),
    ((1024, 2048), (512, 1024), "c575c380842179a6"), ((300, 400), (600, 800), "bda0bb95152cbb4b"),
    ((333, 517), (512, 795), "a6ae1cda0ca299d1"), ((7, 9), (5, 4), "24421c19307119c5"),
    ((7, 9), (20, 31), "82f4dde554239c63"), ((2, 3), (9, 9), "614d52868af66051"),
    ((100, 1200), (43, 512), "bc96330538599b11"), ((600, 900), (200, 300), "7ca05c3b54685c89"),
    ((513, 777), (512, 776), "4f56b878b8de2ead"),
]


def _ours(img: np.ndarray, out_h: int, out_w: int, budget: int | None = None) -> np.ndarray:
    kw = {"budget": budget} if budget else {}
    planes = resize_image(img, out_h, out_w, round_to_uint8=True, **kw)
    return planes.permute(1, 2, 0).to(torch.uint8).numpy()


@pytest.mark.parametrize("index", range(len(OPENCV_DIGESTS)))
def test_uint8_resize_is_opencvs_value_for_value(index):
    (h, w), (oh, ow), digest = OPENCV_DIGESTS[index]
    img = np.random.default_rng(index).integers(0, 256, (h, w, 3), dtype=np.uint8)
    out = _ours(img, oh, ow)
    assert hashlib.sha256(np.ascontiguousarray(out).tobytes()).hexdigest()[:16] == digest
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


def test_live_against_opencv_when_installed():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(5)
    for _ in range(12):
        h, w = (int(v) for v in rng.integers(2, 700, 2))
        oh, ow = (int(v) for v in rng.integers(1, 900, 2))
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        ref = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR)
        assert np.array_equal(_ours(img, oh, ow), ref), ((h, w), (oh, ow))
