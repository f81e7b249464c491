"""Mean confidence of each image from its ``NAME.json`` record (what ``segment`` writes),
so a folder can be reviewed worst prediction first."""

from __future__ import annotations

import math
from pathlib import Path

from app.labels.label_files import read_record
from app.labels.pairing import label_stems


def read_mean_confidence(record: Path) -> float | None:
    """The record's ``mean_confidence`` (0-1), or None when the file is missing or not a record."""
    value = (read_record(record) or {}).get("mean_confidence")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value) if 0.0 <= value <= 1.0 else None


def mean_confidences(images: list[Path], label_dir: Path, image_dir: Path | None = None
                     ) -> dict[Path, float | None]:
    """Each image's mean confidence from its ``NAME.json`` in ``label_dir`` (None: no usable record)."""
    found: dict[Path, float | None] = {}
    for image, stems in label_stems(images, image_dir).items():
        found[image] = next((value for stem in stems if (value := read_mean_confidence(
            label_dir / stem.with_name(stem.name + ".json"))) is not None), None)
    return found


def lowest_confidence_first(images: list[Path], confidences: dict[Path, float | None]) -> list[Path]:
    """Images by mean confidence, lowest first; those without one keep their order at the end."""
    known = sorted((p for p in images if confidences.get(p) is not None), key=lambda p: confidences[p] or 0.0)
    return known + [p for p in images if confidences.get(p) is None]
