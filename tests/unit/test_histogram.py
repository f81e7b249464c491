"""Class counts and IoU areas in chunks equal the plain whole-array computation."""

from __future__ import annotations

import numpy as np

from app.engine.histogram import class_counts
from app.engine.metrics import intersection_and_union


def test_chunked_counts_equal_bincount():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, (123, 457), dtype=np.uint8)
    conf = rng.random((123, 457), dtype=np.float32)
    plain = np.bincount(labels.ravel(), minlength=9)
    assert np.array_equal(class_counts(labels, 9, chunk=1000), plain)
    assert class_counts(labels, 9).dtype == np.int64
    weighted = np.bincount(labels.ravel(), weights=conf.ravel().astype(np.float64), minlength=9)
    np.testing.assert_allclose(class_counts(labels, 9, weights=conf, chunk=777), weighted, rtol=1e-12)


def test_values_beyond_the_class_count_lengthen_the_result():
    labels = np.array([[0, 1, 12]], np.uint8)
    counts = class_counts(labels, 5, chunk=2)
    assert len(counts) == 13 and counts[12] == 1 and counts[:5].tolist() == [1, 1, 0, 0, 0]


def test_chunked_iou_areas_equal_the_whole_image_ones(monkeypatch):
    import app.engine.metrics as metrics

    monkeypatch.setattr(metrics, "CHUNK", 1000)  # many chunks, one partial
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 6, (300, 301)).astype(np.uint8)
    target = rng.integers(0, 6, (300, 301)).astype(np.uint8)
    target[rng.random(target.shape) < 0.1] = 255
    inter, union, tgt = intersection_and_union(pred, target, 6)
    keep = target != 255
    p, t = pred[keep].astype(int), target[keep].astype(int)
    assert inter.tolist() == [int(((p == c) & (t == c)).sum()) for c in range(6)]
    assert union.tolist() == [int(((p == c) | (t == c)).sum()) for c in range(6)]
    assert tgt.tolist() == [int((t == c).sum()) for c in range(6)]
