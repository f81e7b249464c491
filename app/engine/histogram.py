"""Per-class pixel counts of label maps of any size, in bounded memory.

``np.bincount`` converts its input to int64 (and weights to float64) first: for a
10000 x 8000 label map that is a 640 MB temporary per call, more than the labels and
the confidence map together. Counting in chunks of a few million pixels gives the same
numbers with a few tens of MB.
"""

from __future__ import annotations

import numpy as np

CHUNK = 1 << 22  # pixels per bincount call: 32 MB of int64


def class_counts(labels: np.ndarray, num_classes: int, weights: np.ndarray | None = None,
                 chunk: int = CHUNK) -> np.ndarray:
    """Pixels per class 0..num_classes-1 (int64), or the sum of ``weights`` per class
    (float64). Values at or above ``num_classes`` are counted into a longer result, so
    callers can see them (``len(result) > num_classes``)."""
    flat = labels.reshape(-1)
    flat_w = None if weights is None else weights.reshape(-1)
    total = np.zeros(num_classes, np.float64 if weights is not None else np.int64)
    for start in range(0, flat.size, chunk):
        part = np.bincount(flat[start:start + chunk], minlength=num_classes,
                           weights=None if flat_w is None else flat_w[start:start + chunk])
        if len(part) > len(total):
            total = np.concatenate([total, np.zeros(len(part) - len(total), total.dtype)])
        total[:len(part)] += part
    return total
