"""The ``fast`` protocol: one whole-image pass, mmsegmentation's whole-inference semantics.

The image is resized by the model's rule (long side = base size, or mmseg's
keep-ratio rule: short side = base size with the long side at most ``max_long``),
rounded back to uint8 as an OpenCV resize of the uint8 photo would be, normalised,
and passed once through the network without padding (the PSPNet head takes any
size). The 1/8-resolution logits are upsampled bilinearly (the model's
align_corners) first to the resized size, then to the original size, and the
argmax taken there; confidence is the softmax maximum of those logits.
CSAIL models (protocol style 'csail') follow CSAIL's own test code instead: see
``csail_size`` and ``ProtocolSettings``.

Both upsamplings run in horizontal strips of the *original* image, so peak
memory for the labels is ``resize.STRIP_BYTES`` (64 MB) plus the outputs
themselves (H x W uint8 labels + H x W float32 confidence), whatever the image size.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from PIL import Image

from app.checkpoints.meta import Normalization, ProtocolSettings
from app.engine.cancel import check_cancel
from app.engine.resize import (STRIP_BYTES, mmseg_keep_ratio_size, normalize, resize_image, resize_rows,
                               rows_needed, semseg_long_side_size, strip_rows)
from app.model import PPMCapture

ForwardWithCapture = Callable[[torch.Tensor, bool], tuple[torch.Tensor, "PPMCapture | None"]]
Preview = Callable[[np.ndarray, np.ndarray], None]  # labels, confidence at preview_size

# Photos above this many pixels get a quick preview (labels at a bounded size, computed
# from the same logits) before the exact full-size labels; its long side is this long.
PREVIEW_MIN_PIXELS = 4_000_000
PREVIEW_LONG_SIDE = 1024


CSAIL_SIZE_MULTIPLE = 8  # CSAIL's padding_constant: input sides rounded up to it


def csail_size(height: int, width: int, short_side: int, max_long: int) -> tuple[int, int]:
    """CSAIL's TestDataset rule: truncated scaled sizes, then up to a multiple of 8."""
    scale = min(short_side / float(min(height, width)), max_long / float(max(height, width)))
    up = CSAIL_SIZE_MULTIPLE
    return tuple(max(up, ((int(side * scale) - 1) // up + 1) * up) for side in (height, width))  # type: ignore[return-value]


def fast_input_size(height: int, width: int, settings: ProtocolSettings) -> tuple[int, int]:
    """The size the network sees under the fast protocol (and mmseg's slide protocol)."""
    if settings.style == "csail":
        if settings.resize_side == "long":  # asked for explicitly: the long side is the base size
            return csail_size(height, width, max(height, width) * settings.base_size, settings.base_size)
        return csail_size(height, width, settings.base_size, settings.max_long or 4 * settings.base_size)
    if settings.resize_side == "long":
        return semseg_long_side_size(height, width, settings.base_size)
    max_long = settings.max_long or 4 * settings.base_size
    return mmseg_keep_ratio_size(height, width, max_long, settings.base_size)


@dataclass
class FastOutput:
    labels: np.ndarray
    confidence: np.ndarray
    capture: PPMCapture | None
    input_size: tuple[int, int]


def fast_input(image: np.ndarray, settings: ProtocolSettings, normalization: Normalization,
               device: torch.device, cancel: threading.Event | None = None) -> torch.Tensor:
    """The normalised (1, 3, h, w) network input of the fast protocol."""
    height, width = image.shape[:2]
    size = fast_input_size(height, width, settings)
    return resized_input(image, size, settings.style == "csail", normalization, device, cancel)


def resized_input(image: np.ndarray, size: tuple[int, int], pil: bool, normalization: Normalization,
                  device: torch.device, cancel: threading.Event | None = None) -> torch.Tensor:
    """The normalised (1, 3, h, w) input of a whole-image pass at ``size``: the uint8 photo
    resized as OpenCV does inside mmseg's pipeline, or with PIL's bilinear (CSAIL's)."""
    if pil:
        resized = np.array(Image.fromarray(image).resize((size[1], size[0]), Image.Resampling.BILINEAR))
        planes = torch.from_numpy(resized).to(device).permute(2, 0, 1).float()
    else:
        planes = resize_image(image, size[0], size[1], round_to_uint8=True, device=device, cancel=cancel)
    return normalize(planes, normalization.mean, normalization.std)[None]


def full_size_rows(logits: torch.Tensor, via: tuple[int, int], original: tuple[int, int], start: int,
                   end: int, align_corners: bool) -> torch.Tensor:
    """Rows [start, end) of (C, h, w) logits upsampled to ``via``, then to ``original``
    (as two F.interpolate calls would; ``via`` = the logits' own size goes straight)."""
    (nh, nw), (height, width) = via, original
    lo, hi = rows_needed(nh, height, start, end, align_corners)
    middle = resize_rows(logits, nh, nw, lo, hi, align_corners)
    return resize_rows(middle, height, width, start, end, align_corners, in_h=nh, row_offset=lo)


def labels_from_logits(logits: torch.Tensor, resized: tuple[int, int], original: tuple[int, int],
                       align_corners: bool, label_dtype: np.dtype, budget: int = STRIP_BYTES,
                       cancel: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(C, h, w) low-resolution logits -> labels and confidence at ``original``, in strips.

    Equivalent to upsampling to ``resized`` and then to ``original`` with
    F.interpolate, softmax and argmax, without holding C x H x W floats. Each strip
    goes straight into the preallocated outputs; ``cancel`` is checked before each.
    """
    channels = logits.shape[0]
    nw, (height, width) = resized[1], original
    labels = np.empty((height, width), dtype=label_dtype)
    confidence = np.empty((height, width), dtype=np.float32)
    step = strip_rows(channels, max(width, nw), budget)
    for start in range(0, height, step):
        check_cancel(cancel)
        end = min(height, start + step)
        rows = full_size_rows(logits, resized, original, start, end, align_corners)
        best, conf = argmax_and_confidence(rows)
        labels[start:end] = best.cpu().numpy().astype(label_dtype, copy=False)
        confidence[start:end] = conf.cpu().numpy()
    return labels, confidence


def argmax_and_confidence(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per pixel of (C, H, W) logits: the first class with the largest logit, and its
    softmax probability 1 / sum(exp(l - l_max)), without a normalised softmax.

    ``max(0)`` gives the values and the (first) indices in one pass: half the time of
    ``argmax(0)`` followed by a gather of the maxima.
    """
    top, best = rows.max(0)
    return best, torch.sub(rows, top).exp_().sum(0).reciprocal_()


def preview_size(height: int, width: int) -> tuple[int, int] | None:
    """The size of a big photo's quick preview (long side ``PREVIEW_LONG_SIDE``), or None
    for a photo small enough to show its exact labels at once."""
    if height * width <= PREVIEW_MIN_PIXELS:
        return None
    scale = PREVIEW_LONG_SIDE / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def run_fast(forward: ForwardWithCapture, image: np.ndarray, settings: ProtocolSettings,
             normalization: Normalization, align_corners: bool, label_dtype: np.dtype,
             device: torch.device, capture: bool = False, cancel: threading.Event | None = None,
             preview: Preview | None = None) -> FastOutput:
    """The fast protocol's labels of ``image``. ``preview``, for a photo above
    ``PREVIEW_MIN_PIXELS``, is first given labels and confidence at ``preview_size``
    from the same logits (a small fraction of the full-size upsampling's time)."""
    height, width = image.shape[:2]
    x = fast_input(image, settings, normalization, device, cancel)
    logits, cap = forward(x, capture)
    # mmseg goes through the input's size on the way up; CSAIL goes straight to full size
    via = (x.shape[2], x.shape[3]) if settings.style != "csail" else (logits.shape[2], logits.shape[3])
    small = preview_size(height, width) if preview is not None else None
    if preview is not None and small is not None:
        preview(*labels_from_logits(logits[0].float(), via, small, align_corners, label_dtype, cancel=cancel))
    labels, confidence = labels_from_logits(logits[0].float(), via, (height, width), align_corners, label_dtype,
                                            cancel=cancel)
    if cap is not None:
        cap = cap.to("cpu", torch.float16)
    return FastOutput(labels, confidence, cap, (int(x.shape[2]), int(x.shape[3])))
