"""The confidence threshold turns uncertain pixels into ignore, globally and per class."""

import json

import numpy as np
import pytest

from app.labels.confidence import lowest_confidence_first, mean_confidences, read_mean_confidence
from app.labels.threshold import ConfidenceThreshold, apply_confidence_threshold, apply_settings

LABELS = np.array([[0, 1, 2], [1, 255, 0]], np.uint8)
CONF = np.array([[0.9, 0.4, 0.6], [0.7, 0.1, np.nan]], np.float32)


def test_global_threshold_sets_uncertain_pixels_to_ignore():
    out = apply_confidence_threshold(LABELS, CONF, 0.5, {})
    assert out.tolist() == [[0, 255, 2], [1, 255, 0]]  # NaN (unknown) is kept, ignore stays ignore
    assert LABELS[0, 1] == 1 and out.dtype == LABELS.dtype  # the input is not changed


def test_per_class_thresholds_replace_the_global_one():
    out = apply_confidence_threshold(LABELS, CONF, 0.5, {1: 0.75, 2: 0.0})
    assert out.tolist() == [[0, 255, 2], [255, 255, 0]]
    only_class = apply_confidence_threshold(LABELS, CONF, 0.0, {2: 0.65})
    assert only_class.tolist() == [[0, 1, 255], [1, 255, 0]]


def test_uint16_labels_and_bad_values():
    labels = np.array([[300, 2]], np.uint16)
    out = apply_confidence_threshold(labels, np.array([[0.2, 0.9]], np.float32), 0.5, {300: 0.1})
    assert out.tolist() == [[300, 2]] and out.dtype == np.uint16
    with pytest.raises(ValueError, match="outside 0-1"):
        apply_confidence_threshold(LABELS, CONF, 1.5, {})
    with pytest.raises(ValueError, match="differ in shape"):
        apply_confidence_threshold(LABELS, CONF[:1], 0.5, {})


def test_settings_off_changes_nothing():
    settings = ConfidenceThreshold(enabled=False, global_t=0.9)
    assert np.array_equal(apply_settings(LABELS, CONF, settings), LABELS)
    settings.enabled = True
    assert (apply_settings(LABELS, CONF, settings) == 255).sum() == 4


def test_mean_confidence_from_records_sorts_lowest_first(tmp_path):
    images = [tmp_path / n for n in ("a.jpg", "b.jpg", "c.jpg", "d.jpg")]
    labels = tmp_path / "out"
    labels.mkdir()
    (labels / "a.json").write_text(json.dumps({"mean_confidence": 0.8}))
    (labels / "b.json").write_text(json.dumps({"mean_confidence": 0.3}))
    (labels / "c.json").write_text("{broken")
    found = mean_confidences(images, labels)
    assert found == {images[0]: 0.8, images[1]: 0.3, images[2]: None, images[3]: None}
    assert lowest_confidence_first(images, found) == [images[1], images[0], images[2], images[3]]
    (labels / "e.json").write_text(json.dumps({"mean_confidence": "high"}))
    assert read_mean_confidence(labels / "e.json") is None
