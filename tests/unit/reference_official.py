"""An independent, straightforward re-implementation of semseg's official test protocol.

It follows the published test script's structure: one window at a time, float64 numpy
accumulation, a per-axis OpenCV-style bilinear resize; it shares no code with app.engine.
Labels must agree with the engine's except at floating-point near-ties of the reference.
"""

from __future__ import annotations

import math

import numpy as np
import torch

# ImageNet's mean and standard deviation on 0..255 pixels, as the published test script has them
MEAN = np.array([123.675, 116.28, 103.53])
STD = np.array([58.395, 57.12, 57.375])


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


def assert_labels_are_the_argmax(result, logits: torch.Tensor) -> np.ndarray:
    """The result's labels are the reference logits' argmax wherever the top two softmax
    probabilities are not a near-tie (1e-5); returns the probabilities."""
    probs = torch.softmax(logits, 0).numpy()
    top2 = np.sort(probs, axis=0)[-2:]
    decided = top2[1] - top2[0] > 1e-5
    assert decided.mean() > 0.97 and len(result.present_classes()) >= 2
    assert np.array_equal(result.labels[decided], probs.argmax(0)[decided])
    return probs


def normalised(planes: np.ndarray) -> torch.Tensor:
    """(H, W, 3) 0-255 values -> the (1, 3, H, W) network input."""
    return torch.from_numpy(((planes - MEAN) / STD).transpose(2, 0, 1).copy()).float()[None]
