"""Showing an image a batch run has finished from its saved label map, without the model.

``NAME.png`` holds class indices (8-bit palette, or 16-bit grayscale past 256
classes); they mean the classes of the model that wrote them, which the run
records. The confidence is not saved, so it is NaN (the read-out then omits it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.checkpoints.meta import ProtocolSettings
from app.engine.histogram import class_counts
from app.engine.imageio import read_image, read_label_map
from app.engine.result import SegmentationResult
from app.viewing.cache import CachedView

SAVED_DEVICE = "saved labels"


def saved_view(source: Path, label_path: Path, num_classes: int, protocol: ProtocolSettings) -> CachedView:
    """The photo and its saved labels as the viewer's cache entry; ValueError/OSError if unusable."""
    image = read_image(source)
    labels = read_label_map(label_path)
    if labels.shape != image.shape[:2]:
        raise ValueError(f"{label_path} is {labels.shape[1]}x{labels.shape[0]} but {source} is "
                         f"{image.shape[1]}x{image.shape[0]}")
    counts = class_counts(labels, num_classes)
    if counts.shape[0] > num_classes:
        raise ValueError(f"{label_path} holds class indices up to {counts.shape[0] - 1}, "
                         f"but the model has {num_classes} classes")
    confidence = np.full(labels.shape, np.nan, dtype=np.float32)
    result = SegmentationResult(labels, confidence, counts, protocol, SAVED_DEVICE, 0.0)
    return CachedView(image, result)
