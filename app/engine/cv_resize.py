"""OpenCV's ``cv2.resize(..., INTER_LINEAR)`` of a uint8 image, bit for bit, in strips.

mmsegmentation resizes the uint8 photo with OpenCV before normalising it, and OpenCV's
8-bit path is fixed point, not a rounded float resize (that differs by one grey level on
about 12 % of the values). What it computes:

- weights: ``w1 = fx``, ``w0 = 1 - fx`` in float32, times 2048 and rounded to int16;
  column positions clamp at the image edges (weight 0 on the missing neighbour), row
  positions do not -- the row indices are clamped instead, which only matters for the
  rounding below;
- a horizontal pass kept exact in int32: ``h = a0 * src[x0] + a1 * src[x1]``;
- a vertical pass as its vectorised kernel does it for every width:
  ``((h0 >> 4) * b0 >> 16) + ((h1 >> 4) * b1 >> 16)``, then ``(t + 2) >> 2``, saturated.

An exact 2x reduction, which OpenCV hands to INTER_AREA, comes out the same.
Checked value for value against OpenCV 4.10 and 5.0 on random images of many sizes
(``tests/unit/test_cv_resize.py`` keeps reference outputs made by OpenCV).
"""

from __future__ import annotations

import numpy as np
import torch

COEF_SCALE = 2048  # OpenCV's INTER_RESIZE_COEF_SCALE (11 bits)


def axis_table(in_len: int, out_len: int, clamp_edges: bool
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source indices (i0, i1) and int16-scaled weights (w0, w1) of every output position."""
    scale = 1.0 / (out_len / in_len)  # OpenCV keeps inv_scale = out/in and inverts it
    f = ((np.arange(out_len, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    i0 = np.floor(f)
    f = (f - i0).astype(np.float32)
    i0 = i0.astype(np.int64)
    if clamp_edges:
        low, high = i0 < 0, i0 >= in_len - 1
        f[low | high] = 0
        i0[low], i0[high] = 0, in_len - 1
    w0 = np.rint((np.float32(1) - f) * np.float32(COEF_SCALE)).astype(np.int32)
    w1 = np.rint(f * np.float32(COEF_SCALE)).astype(np.int32)
    return np.clip(i0, 0, in_len - 1), np.clip(i0 + 1, 0, in_len - 1), w0, w1


def rows_needed_uint8(in_h: int, out_h: int, start: int, end: int) -> tuple[int, int]:
    """The source rows [lo, hi) that output rows [start, end) read."""
    r0, r1, _, _ = axis_table(in_h, out_h, clamp_edges=False)
    return int(r0[start:end].min()), int(r1[start:end].max()) + 1


def resize_rows_uint8(src: torch.Tensor, out_h: int, out_w: int, start: int, end: int,
                      in_h: int | None = None, row_offset: int = 0) -> torch.Tensor:
    """Rows [start, end) of OpenCV's INTER_LINEAR resize of a (C, in_h, in_w) uint8 map.

    ``src`` may hold only rows [row_offset, row_offset + src.shape[1]) (those given by
    ``rows_needed_uint8``). Returns float32 (C, end - start, out_w) holding integers 0..255.
    """
    in_h = src.shape[1] if in_h is None else in_h
    in_w = src.shape[2]
    dev = src.device
    c0, c1, a0, a1 = (torch.from_numpy(t).to(dev) for t in axis_table(in_w, out_w, clamp_edges=True))
    rows0, rows1, weights0, weights1 = axis_table(in_h, out_h, clamp_edges=False)
    r0, r1 = (torch.from_numpy(r[start:end] - row_offset).to(dev) for r in (rows0, rows1))
    b0, b1 = (torch.from_numpy(b[start:end]).to(dev)[:, None] for b in (weights0, weights1))

    def horizontal(rows: torch.Tensor) -> torch.Tensor:
        rows = src.index_select(1, rows).to(torch.int32)
        return rows.index_select(2, c0) * a0 + rows.index_select(2, c1) * a1

    top = ((horizontal(r0) >> 4) * b0) >> 16
    bottom = ((horizontal(r1) >> 4) * b1) >> 16
    return ((top + bottom + 2) >> 2).clamp_(0, 255).to(torch.float32)
