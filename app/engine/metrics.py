"""Segmentation metrics as the official PSPNet code computes them.

Per image, intersection / union / target areas per class with ignored pixels
removed; over a dataset the areas are summed first, then IoU = I / U per class,
mIoU is the mean over all classes, accuracy = I / target, allAcc = sum I / sum target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.engine.histogram import CHUNK

EPS = 1e-10


def intersection_and_union(pred: np.ndarray, target: np.ndarray, num_classes: int,
                           ignore_index: int = 255) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class (intersection, union, target) pixel areas for one image (counted in
    chunks, so a huge image needs no full-size int64 copies)."""
    if pred.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and label {target.shape} differ in size")
    flat_pred, flat_target = pred.reshape(-1), target.reshape(-1)
    area_inter = np.zeros(num_classes, np.int64)
    area_pred = np.zeros(num_classes, np.int64)
    area_target = np.zeros(num_classes, np.int64)
    for start in range(0, flat_pred.size, CHUNK):
        p = flat_pred[start:start + CHUNK].astype(np.int64)
        t = flat_target[start:start + CHUNK].astype(np.int64)
        keep = (t != ignore_index) & (t >= 0) & (t < num_classes)
        p, t = p[keep], t[keep]
        area_inter += np.bincount(p[p == t], minlength=num_classes)[:num_classes]
        area_pred += np.bincount(p[(p >= 0) & (p < num_classes)], minlength=num_classes)[:num_classes]
        area_target += np.bincount(t, minlength=num_classes)[:num_classes]
    return area_inter, area_pred + area_target - area_inter, area_target


@dataclass
class IoUAccumulator:
    """Sums areas over a dataset and reports the official metrics."""

    num_classes: int
    ignore_index: int = 255
    intersection: np.ndarray = field(init=False)
    union: np.ndarray = field(init=False)
    target: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.intersection = np.zeros(self.num_classes, dtype=np.int64)
        self.union = np.zeros(self.num_classes, dtype=np.int64)
        self.target = np.zeros(self.num_classes, dtype=np.int64)

    def add(self, pred: np.ndarray, target: np.ndarray) -> None:
        i, u, t = intersection_and_union(pred, target, self.num_classes, self.ignore_index)
        self.intersection += i
        self.union += u
        self.target += t

    def iou(self) -> np.ndarray:
        return self.intersection / (self.union + EPS)

    def accuracy(self) -> np.ndarray:
        return self.intersection / (self.target + EPS)

    def summary(self) -> dict[str, float]:
        return {"mIoU": float(self.iou().mean()), "mAcc": float(self.accuracy().mean()),
                "allAcc": float(self.intersection.sum() / (self.target.sum() + EPS))}
