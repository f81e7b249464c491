"""The ``ms`` protocol: each implementation's own multi-scale test.

- semseg (style 'semseg'): the official sliding windows at every scale with flip;
  that is ``official.run_official`` with the six scales, so it is not repeated here.
- mmseg (style 'mmseg'): its test-time augmentation. For each ratio r the *original*
  photo is resized with keep_ratio to the scale (int(max_long x r), int(base x r)),
  mmcv's rescale rule and rounding (the scale (2048, 512) x r of its ADE20K/VOC
  configs), as a uint8 OpenCV resize; each size is run as is and mirrored; each
  pass's logits are upsampled to the resized size, mirrored back, upsampled to the
  original size and softmaxed; the softmax of all passes is averaged, then argmax.
- CSAIL (style 'csail'): its TestDataset at each short side in ``sizes`` (long side
  at most ``max_long``, sides up to a multiple of 8, PIL's bilinear resize); each
  pass's logits upsampled straight to the original size and softmaxed, averaged.

Only the 1/8-resolution logits of each pass are kept; the full-size softmax average
is built in strips of output rows, so memory does not grow with the photo's size.
Confidence is the averaged probability of the chosen class.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from app.checkpoints.meta import Normalization, ProtocolSettings
from app.engine.fast import csail_size, full_size_rows, resized_input
from app.engine.resize import STRIP_BYTES, mmseg_keep_ratio_size, strip_rows
from app.engine.result import Cancelled

LowResForward = Callable[[torch.Tensor], torch.Tensor]  # (B, 3, h, w) -> (B, C, h/8, w/8) logits
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class WholePass:
    """One whole-image pass: the input size, whether mirrored, and how its logits go up."""

    size: tuple[int, int]
    flip: bool
    via_input: bool  # mmseg: to the input's size first; CSAIL: straight to the original size


def mmseg_tta_size(height: int, width: int, ratio: float, max_long: int, base: int) -> tuple[int, int]:
    """mmseg's keep-ratio Resize to the scale (max_long, base) x ratio, truncated as its
    multi-scale test builds the scales (int(2048 x r), int(512 x r))."""
    return mmseg_keep_ratio_size(height, width, int(max_long * ratio), int(base * ratio))


def plan_passes(height: int, width: int, settings: ProtocolSettings) -> list[WholePass]:
    """The whole-image passes of the mmseg or CSAIL multi-scale test, in their order."""
    if settings.style == "mmseg":
        max_long = settings.max_long or 4 * settings.base_size
        flips = (False, True) if settings.flip else (False,)
        return [WholePass(mmseg_tta_size(height, width, r, max_long, settings.base_size), f, True)
                for r in settings.scales for f in flips]
    if settings.style == "csail":
        max_long = settings.max_long or 4 * max(settings.sizes)
        return [WholePass(csail_size(height, width, s, max_long), False, False) for s in settings.sizes]
    raise ValueError(f"no whole-image multi-scale test in the {settings.style!r} style")


def run_multi_scale(forward: LowResForward, image: np.ndarray, settings: ProtocolSettings,
                    normalization: Normalization, align_corners: bool, label_dtype: np.dtype,
                    device: torch.device, cancel: threading.Event | None = None,
                    progress: Progress | None = None, budget: int = STRIP_BYTES
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Labels and confidence of the mmseg or CSAIL multi-scale test at the original size."""
    height, width = image.shape[:2]
    passes = plan_passes(height, width, settings)
    kept: list[tuple[torch.Tensor, tuple[int, int]]] = []  # (C, h/8, w/8) logits, size they go via
    for done, p in enumerate(passes, 1):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        x = resized_input(image, p.size, settings.style == "csail", normalization, device)
        logits = forward(x.flip(3) if p.flip else x)[0].float()
        if p.flip:  # mirroring commutes with both bilinear upsamplings
            logits = logits.flip(2)
        kept.append((logits, p.size if p.via_input else (logits.shape[1], logits.shape[2])))
        if progress is not None:
            progress(done, len(passes))
    return average_softmax(kept, (height, width), align_corners, label_dtype, cancel, budget)


def average_softmax(kept: list[tuple[torch.Tensor, tuple[int, int]]], original: tuple[int, int],
                    align_corners: bool, label_dtype: np.dtype, cancel: threading.Event | None = None,
                    budget: int = STRIP_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """argmax and top probability of the mean full-size softmax of several passes, in strips."""
    height, width = original
    channels = kept[0][0].shape[0]
    labels = np.empty((height, width), dtype=label_dtype)
    confidence = np.empty((height, width), dtype=np.float32)
    widest = max([width] + [via[1] for _, via in kept])
    step = strip_rows(channels * 2, widest, budget)
    for start in range(0, height, step):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        end = min(height, start + step)
        acc = None
        for logits, via in kept:
            probs = torch.softmax(full_size_rows(logits, via, original, start, end, align_corners), dim=0)
            acc = probs if acc is None else acc.add_(probs)
        assert acc is not None  # at least one pass
        acc /= len(kept)
        best = acc.argmax(0)
        labels[start:end] = best.cpu().numpy().astype(label_dtype, copy=False)
        confidence[start:end] = acc.gather(0, best[None])[0].cpu().numpy()
    return labels, confidence
