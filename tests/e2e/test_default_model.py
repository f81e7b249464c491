"""The shipped default model: it loads, is small, and segments the shipped samples well."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from app.paths import DEFAULT_WEIGHTS, SAMPLES_DIR
from app.training.scenes import CLASS_NAMES, CONTEXT_CLASSES

MAX_BYTES = 25 * 1024 * 1024
# Regression floors for the shipped model (its measured numbers are in its card and in
# docs/training.md; the target of 0.90 held-out mIoU is not reached yet).
CARD_TEST_MIOU_FLOOR = 0.87
SAMPLES_MIOU_FLOOR = 0.80


@pytest.fixture(scope="module")
def loaded():
    from app.checkpoints import load_checkpoint

    assert DEFAULT_WEIGHTS.is_file(), f"the shipped model {DEFAULT_WEIGHTS} is missing"
    return load_checkpoint(DEFAULT_WEIGHTS)


def test_shipped_weights_are_small_and_carry_a_complete_card(loaded):
    assert DEFAULT_WEIGHTS.stat().st_size <= MAX_BYTES
    assert loaded.meta.format == "native"
    assert loaded.meta.classes.names == CLASS_NAMES
    card = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert card["training"]["command"].startswith("python main.py train")
    metrics = card["metrics"]
    assert metrics["test"]["mIoU"] >= CARD_TEST_MIOU_FLOOR
    drops = metrics["pooled_branches_off"]["iou_drop_points"]
    assert all(drops[name] >= 10 for name in CONTEXT_CLASSES), drops
    assert metrics["cpu_ms_per_512px_image"] > 0


def test_shipped_model_segments_the_samples(loaded):
    from app.engine.imageio import read_image
    from app.engine.metrics import IoUAccumulator
    from app.engine.segmenter import Segmenter

    seg = Segmenter(loaded, device="cpu")
    acc = IoUAccumulator(len(CLASS_NAMES))
    images = sorted((SAMPLES_DIR / "images").iterdir())
    assert len(images) >= 3
    for path in images:
        label = np.array(Image.open(SAMPLES_DIR / "labels" / f"{path.stem}.png"))
        result = seg.segment(read_image(path))
        assert result.labels.shape == label.shape
        acc.add(result.labels, label)
        # the surface is read by its scene's context: its majority class is the true one
        surface = np.isin(label, [CLASS_NAMES.index("water"), CLASS_NAMES.index("road")])
        true = np.bincount(label[surface]).argmax()
        assert np.bincount(result.labels[surface], minlength=len(CLASS_NAMES)).argmax() == true
    present = acc.target > 0
    assert acc.iou()[present].mean() >= SAMPLES_MIOU_FLOOR, dict(zip(CLASS_NAMES, acc.iou().round(3)))
