"""Bilinear resizing in horizontal strips, plus the protocols' size rules.

``resize_rows`` computes any band of output rows of a bilinear resize with the
same coordinate rule as ``F.interpolate(mode='bilinear', antialias=False)``
(half-pixel centres when ``align_corners`` is False, which is also OpenCV's
INTER_LINEAR rule for float data). Because every output row only needs two
source rows, a full-resolution result never has to exist at once: callers walk
the output in strips, so peak memory is C x strip x W floats instead of C x H x W.
"""

from __future__ import annotations

import math
import threading
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from app.engine.cancel import check_cancel
from app.engine.cv_resize import resize_rows_uint8, rows_needed_uint8

# Budget for one strip's float32 temporaries (bytes); strips are sized to stay under it.
STRIP_BYTES = 64 * 1024 * 1024
# Temporaries per output element while resizing a strip: two gathered source rows,
# their column-resized copies, the blended result and the softmax/argmax buffers.
STRIP_TEMPORARIES = 6


def semseg_long_side_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    """semseg's rule: the long side becomes ``long_side``, the other is rounded (Python round)."""
    if height > width:
        return long_side, max(1, round(long_side / float(height) * width))
    return max(1, round(long_side / float(width) * height)), long_side


def mmseg_keep_ratio_size(height: int, width: int, max_long: int, max_short: int) -> tuple[int, int]:
    """mmcv's ``rescale_size`` for ``Resize(scale=(max_long, max_short), keep_ratio=True)``."""
    factor = min(max_long / max(height, width), max_short / min(height, width))
    return max(1, int(height * factor + 0.5)), max(1, int(width * factor + 0.5))


def axis_weights(in_len: int, out_len: int, start: int, end: int, align_corners: bool,
                 device: torch.device | str = "cpu"
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Source indices (i0, i1) and weights (w0, w1) of output positions start..end-1."""
    dst = torch.arange(start, end, dtype=torch.float32, device=device)
    if align_corners:
        scale = (in_len - 1) / (out_len - 1) if out_len > 1 else 0.0
        src = dst * scale
    else:
        scale = in_len / out_len
        src = ((dst + 0.5) * scale - 0.5).clamp_(min=0.0)
    i0 = src.floor().long().clamp_(max=in_len - 1)
    i1 = (i0 + 1).clamp_(max=in_len - 1)
    w1 = src - i0.to(torch.float32)
    w0 = 1.0 - w1
    return i0, i1, w0, w1


def rows_needed(in_len: int, out_len: int, start: int, end: int, align_corners: bool) -> tuple[int, int]:
    """The source rows [lo, hi) that output rows [start, end) read."""
    i0, i1, _, _ = axis_weights(in_len, out_len, start, end, align_corners)
    return int(i0.min()), int(i1.max()) + 1


def resize_rows(src: torch.Tensor, out_h: int, out_w: int, start: int, end: int,
                align_corners: bool, in_h: int | None = None, row_offset: int = 0) -> torch.Tensor:
    """Rows [start, end) of the bilinear resize of a (C, in_h, in_w) map to (out_h, out_w).

    ``src`` may hold only rows [row_offset, row_offset + src.shape[1]) of the map
    (those given by ``rows_needed``); any dtype, the result is float32 (C, end-start, out_w).
    """
    in_h = src.shape[1] if in_h is None else in_h
    in_w = src.shape[2]
    if (in_h, in_w) == (out_h, out_w):
        # Same size: every weight is exactly 0 or 1 under either corner rule, so the
        # rows themselves are the answer (the official protocol hits this whenever the
        # photo's long side already equals the base size).
        return src[:, start - row_offset:end - row_offset].to(torch.float32)
    dev = src.device
    r0, r1, a0, a1 = axis_weights(in_h, out_h, start, end, align_corners, dev)
    # Bilinear is separable: blend the two source rows of each output row first, while
    # the rows are still narrow, then widen the blended rows with torch's own bilinear
    # kernel (height unchanged, so its vertical weights are exactly 1 and 0: this is
    # F.interpolate's horizontal pass, same source columns and weights). Same result as
    # horizontal-then-vertical up to float rounding, and far fewer full-width passes
    # than gathering columns with index_select.
    first, last = int(r0.min()) - row_offset, int(r1.max()) + 1 - row_offset
    rows = src[:, first:last].to(torch.float32)
    top = rows.index_select(1, r0 - row_offset - first)
    bottom = rows.index_select(1, r1 - row_offset - first)
    blended = top.mul_(a0[:, None]).add_(bottom.mul_(a1[:, None]))
    if in_w == out_w:
        return blended
    return F.interpolate(blended[None], size=(end - start, out_w), mode="bilinear",
                         align_corners=align_corners)[0]


def strip_rows(channels: int, width: int, budget: int = STRIP_BYTES) -> int:
    """Rows per strip so that the strip's float32 temporaries stay within ``budget``."""
    return max(1, budget // (STRIP_TEMPORARIES * 4 * max(1, channels) * max(1, width)))


def resize_image(image: np.ndarray, out_h: int, out_w: int, round_to_uint8: bool,
                 device: torch.device | str = "cpu", budget: int = STRIP_BYTES,
                 cancel: threading.Event | None = None) -> torch.Tensor:
    """An (H, W, 3) uint8 image resized bilinearly (no antialiasing) to (3, out_h, out_w) float32.

    Works in strips of output rows, so a 10000 x 8000 photo is never converted to
    float as a whole. ``round_to_uint8`` resizes the uint8 image itself as OpenCV
    does inside mmsegmentation's pipeline, value for value (``cv_resize``); otherwise
    the float image is resized (OpenCV on float data, semseg's evaluation).
    ``cancel`` is checked before every strip.
    """
    height, width = image.shape[:2]
    with warnings.catch_warnings():  # read-only arrays are fine: this view is only read
        warnings.simplefilter("ignore", UserWarning)
        planes = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)  # a view, no copy
    out = torch.empty((3, out_h, out_w), dtype=torch.float32, device=device)
    step = strip_rows(3, max(width, out_w), budget)
    for start in range(0, out_h, step):
        check_cancel(cancel)
        end = min(out_h, start + step)
        if round_to_uint8:
            lo, hi = rows_needed_uint8(height, out_h, start, end)
            band = planes[:, lo:hi].to(device)
            out[:, start:end] = resize_rows_uint8(band, out_h, out_w, start, end, in_h=height, row_offset=lo)
        else:
            lo, hi = rows_needed(height, out_h, start, end, False)
            band = planes[:, lo:hi].to(device)
            out[:, start:end] = resize_rows(band, out_h, out_w, start, end, False, in_h=height, row_offset=lo)
    return out


def normalize(planes: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    """(3, H, W) 0-255 RGB float -> normalised, in place."""
    m = torch.tensor(mean, dtype=planes.dtype, device=planes.device)[:, None, None]
    s = torch.tensor(std, dtype=planes.dtype, device=planes.device)[:, None, None]
    return planes.sub_(m).div_(s)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def stride_for_crop(crop: int, rate: float = 2 / 3) -> int:
    """semseg's window stride: ceil(crop x 2/3), computed with the same float expression."""
    return int(math.ceil(crop * rate))
