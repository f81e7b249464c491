"""COCO run-length encoding, byte for byte as pycocotools writes it.

A binary mask is read column by column (Fortran order: down the first column,
then the next); ``counts`` alternate between runs of 0 and runs of 1, starting
with 0. The compressed form is pycocotools' ``rleToString``: each count (from
the third on, as the difference to the count two before) in 5-bit groups with a
continuation bit, plus 48, as ASCII. Written here so the app needs no C
extension; the tests check every string against pycocotools itself.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def mask_counts(mask: np.ndarray) -> list[int]:
    """Run lengths of a 2-D boolean mask in column-major order, starting with zeros."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    if flat.size == 0:
        return []
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def counts_to_string(counts: Sequence[int]) -> str:
    """pycocotools' compressed ``counts`` string of a run list."""
    out: list[str] = []
    for i, count in enumerate(counts):
        x = int(count) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # arithmetic shift, as C's on a signed long
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def string_to_counts(text: str) -> list[int]:
    """The run list of a compressed ``counts`` string (pycocotools' ``rleFrString``)."""
    counts: list[int] = []
    p, n = 0, len(text)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                raise ValueError("truncated RLE counts string")
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {text[p]!r} is not part of an RLE counts string")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def encode(mask: np.ndarray) -> dict:
    """``{"size": [h, w], "counts": str}``, the compressed RLE COCO JSON holds."""
    height, width = mask.shape
    return {"size": [int(height), int(width)], "counts": counts_to_string(mask_counts(mask))}


def decode(rle: dict) -> np.ndarray:
    """(h, w) bool mask of a compressed (string) or uncompressed (list) RLE."""
    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    runs = string_to_counts(counts) if isinstance(counts, str) else [int(c) for c in counts]
    if any(r < 0 for r in runs) or sum(runs) != height * width:
        raise ValueError(f"RLE runs cover {sum(runs)} pixels, not {height} x {width}")
    values = np.zeros(len(runs), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, runs)
    return flat.reshape((height, width), order="F")


def area(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def bbox(mask: np.ndarray) -> list[float]:
    """[x, y, width, height] of the mask's pixels, as pycocotools' ``toBbox``; zeros if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(cols[0]), float(rows[0]), float(cols[-1] - cols[0] + 1), float(rows[-1] - rows[0] + 1)]
