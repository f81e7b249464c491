"""Writing an edited label map as the files ``segment`` writes, marked as edited.

``NAME.png`` (class-index palette PNG), ``NAME_color.png`` and ``NAME.json`` come
from the engine's own writers, so an edited map is byte-for-byte what ``segment``
would write for the same labels; ``NAME_overlay.jpg`` is rewritten too when it is
there. Each file is written atomically. ``NAME.json`` goes first and carries
``"edited": true``: should a later write fail, the record already protects the
map from being replaced by a re-run of ``segment`` or Label Folder.

Only ``NAME.png`` is the caller's to replace (the window asks first). ``NAME.json``,
``NAME_color.png`` and ``NAME_overlay.jpg`` are replaced only when they are this
app's: the record there is one of ours and lists them. A labelme annotation
``photo.json`` beside ``photo.jpg``, or a user's ``photo_color.png``, is never
replaced: the save is refused before anything is written (the overlay, optional,
is just left alone).
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from app.classes import ClassInfo
from app.engine import writers
from app.engine.histogram import class_counts
from app.engine.ledger_states import EDITED_KEY
from app.engine.ledger_states import is_edited as record_is_edited
from app.engine.writers import SUFFIXES, output_paths
from app.labels.label_files import read_record

SAVED_FORMATS = ("label", "color", "json")  # always written; the overlay only when present


def is_our_record(record: dict[str, Any] | None) -> bool:
    """Whether ``record`` is a NAME.json that ``segment`` or the editor wrote."""
    return isinstance(record, dict) and isinstance(record.get("image"), dict) and isinstance(record.get("classes"), list)


def _ours(path: Path, kind: str, record: dict[str, Any] | None) -> bool:
    """Whether the file of ``kind`` at ``path`` may be replaced: absent, or listed by our record."""
    if not os.path.lexists(path):
        return True
    if not is_our_record(record):
        return False
    outputs = (record or {}).get("outputs")
    return kind == "json" or not isinstance(outputs, dict) or outputs.get(kind) == path.name


def is_edited(stem: Path) -> bool:
    """Whether ``stem``'s record says a person edited its label map (the batch ledger's test)."""
    return record_is_edited(output_paths(stem, ["json"])["json"])


def edited_record(labels: np.ndarray, classes: ClassInfo, source: str, outputs: dict[str, str],
                  previous: dict[str, Any] | None, confidence: np.ndarray | None = None) -> dict[str, Any]:
    """The record of an edited map: the previous record (from ``segment``) with the class
    areas of the edited labels, ``"edited": true`` and the time of the edit.

    Per class, ``mean_confidence`` is the model's confidence over the pixels that now
    have that class when the model's confidence map is known, else the previous value
    for classes the model had found, else null (a class only a person put there).
    """
    record = dict(previous or {})
    height, width = labels.shape
    record.setdefault("image", {"path": source, "width": width, "height": height})
    counts = class_counts(labels, len(classes))
    total = max(int(labels.size), 1)
    before = {c.get("index"): c for c in record.get("classes", []) if isinstance(c, dict)}
    sums = None
    if confidence is not None and confidence.shape == labels.shape:
        sums = class_counts(labels, len(counts), weights=np.nan_to_num(confidence, nan=0.0))
    present = []
    for index in np.argsort(-counts[: len(classes)], kind="stable"):
        pixels = int(counts[index])
        if pixels == 0:
            break
        mean = before.get(int(index), {}).get("mean_confidence")
        if sums is not None and confidence is not None and np.isfinite(confidence).all():
            mean = round(float(sums[index] / pixels), 6)
        present.append({"index": int(index), "name": classes.names[index], "pixels": pixels,
                        "fraction": round(pixels / total, 6), "mean_confidence": mean})
    record["classes"] = present
    ignored = int(counts[len(classes):].sum()) if len(counts) > len(classes) else 0
    record["ignored_pixels"] = ignored
    record["outputs"] = outputs
    record[EDITED_KEY] = True
    record["edited_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return _finite(record)


def save_edited(stem: Path, labels: np.ndarray, classes: ClassInfo, source: str,
                image: np.ndarray | None = None, confidence: np.ndarray | None = None) -> list[Path]:
    """Write the edited map's files for output stem ``stem`` (``out/photo``); returns them.

    Replaces the files of that stem: the caller has made sure they are this image's
    own outputs or that the user agreed to replace them.
    """
    paths = output_paths(stem, SAVED_FORMATS + ("overlay",))
    overlay = paths.pop("overlay")
    previous = read_record(paths["json"])
    foreign = [paths[k] for k in ("json", "color") if not _ours(paths[k], k, previous)]
    if foreign:
        raise FileExistsError(f"{foreign[0]} exists and was not written by this app (another tool's "
                              "file?); it was kept and nothing was saved. Choose another folder")
    with_overlay = (image is not None and overlay.exists() and image.shape[:2] == labels.shape
                    and _ours(overlay, "overlay", previous))
    outputs = {k: p.name for k, p in paths.items()} | ({"overlay": overlay.name} if with_overlay else {})
    record = edited_record(labels, classes, source, outputs, previous, confidence)
    written = []
    writers.write_bytes(paths["json"], json.dumps(record, indent=2).encode("utf-8"), overwrite=True)
    written.append(paths["json"])
    picture = writers.label_image(labels, classes)
    writers.atomic_write(paths["label"], lambda h: picture.save(h, format="PNG", **writers.PNG_SPEED), overwrite=True)
    written.append(paths["label"])
    colour = Image.fromarray(writers.color_image(labels, classes))
    writers.atomic_write(paths["color"], lambda h: colour.save(h, format="PNG", **writers.PNG_SPEED), overwrite=True)
    written.append(paths["color"])
    if with_overlay and image is not None:
        blend = Image.fromarray(writers.overlay_image(image, labels, classes))
        writers.atomic_write(overlay, lambda h: blend.save(h, format="JPEG", quality=90), overwrite=True)
        written.append(overlay)
    return written


def label_file(stem: Path) -> Path:
    return stem.with_name(stem.name + SUFFIXES["label"])


def _finite(value: Any) -> Any:
    """NaN and infinity become null: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
