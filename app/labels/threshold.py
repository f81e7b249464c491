"""The confidence threshold: pixels the model was less sure of than it become ignore (255).

A threshold is global, with optional per-class values that replace it for pixels of
that class. A pixel whose confidence is unknown (NaN: labels read from disk carry no
confidence) is never thresholded, and ignore pixels stay ignore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from app.labels.label_files import IGNORE

CHUNK_PIXELS = 1 << 20  # per-class lookups a megapixel at a time (8 MB of indices, not 400)


@dataclass
class ConfidenceThreshold:
    """What the threshold panel holds: on/off, the global value and per-class values (0-1)."""

    enabled: bool = False
    global_t: float = 0.5
    per_class: dict[int, float] = field(default_factory=dict)

    def active(self) -> bool:
        return self.enabled and (self.global_t > 0 or any(v > 0 for v in self.per_class.values()))


def _check(value: float, what: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{what} {value} is outside 0-1")
    return value


def below_threshold(labels: np.ndarray, confidence: np.ndarray, global_t: float,
                    per_class: Mapping[int, float] | None = None, ignore: int = IGNORE) -> np.ndarray:
    """(H, W) bool: True where the pixel's confidence is below its class's threshold."""
    if labels.shape != confidence.shape:
        raise ValueError(f"labels {labels.shape} and confidence {confidence.shape} differ in shape")
    global_t = _check(global_t, "threshold")
    per_class = {int(k): _check(v, f"threshold of class {k}") for k, v in (per_class or {}).items()}
    if not per_class:
        below = confidence < global_t  # NaN compares False: unknown confidence is kept
        if ignore is not None and (global_t > 0):
            below &= labels != ignore
        return below
    # One threshold per label value; ignore gets -inf (never below), so no second pass is needed.
    size = 1 << (8 * labels.dtype.itemsize) if labels.dtype.itemsize <= 2 else int(labels.max(initial=0)) + 1
    table = np.full(max(size, max(per_class) + 1), global_t, dtype=np.float32)
    for index, value in per_class.items():
        if index >= 0:
            table[index] = value
    if ignore is not None and 0 <= ignore < len(table):
        table[ignore] = -np.inf
    below = np.empty(labels.shape, dtype=bool)
    rows = max(1, CHUNK_PIXELS // max(1, labels.shape[1]))
    for start in range(0, labels.shape[0], rows):  # in chunks: the lookup makes int64 indices
        part = slice(start, start + rows)
        np.less(confidence[part], table[labels[part]], out=below[part])
    return below


def apply_confidence_threshold(labels: np.ndarray, confidence: np.ndarray, global_t: float,
                               per_class: Mapping[int, float] | None = None,
                               ignore: int = IGNORE) -> np.ndarray:
    """A copy of ``labels`` with every pixel below its threshold set to ``ignore``.

    ``global_t`` applies to classes without an entry in ``per_class`` (class index ->
    threshold); 0 keeps every pixel of those classes. The input is not changed."""
    below = below_threshold(labels, confidence, global_t, per_class, ignore)
    return np.where(below, np.asarray(ignore, labels.dtype), labels)  # a new array, input untouched


def apply_settings(labels: np.ndarray, confidence: np.ndarray, settings: ConfidenceThreshold,
                   ignore: int = IGNORE) -> np.ndarray:
    """``apply_confidence_threshold`` with the panel's settings (a copy of ``labels`` when off)."""
    if not settings.active():
        return np.array(labels, copy=True)
    return apply_confidence_threshold(labels, confidence, settings.global_t, settings.per_class, ignore)
