"""Recovery files: the edited map as it was after the last change, so a crash loses
at most the change in progress.

One PNG per photo in a recovery folder (the app's settings folder), named from a
hash of the photo's path, with a small JSON beside it that says which photo and
which output stem it belongs to. Both are written atomically; the PNG uses fast
compression because it is rewritten after every stroke.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.engine.imageio import ImageReadError, read_label_map
from app.engine.writers import PNG_SPEED
from app.fileio import atomic_path, atomic_write_bytes



@dataclass(frozen=True)
class Recovery:
    labels: np.ndarray
    source: str
    stem: str          # the output stem the edit was going to be saved to ("" when not chosen)
    saved_at: float    # time.time() of the recovery write


def recovery_files(folder: Path, source: Path) -> tuple[Path, Path]:
    key = hashlib.sha1(str(Path(source).resolve()).encode("utf-8")).hexdigest()[:16]
    return folder / f"{key}.recovery.png", folder / f"{key}.recovery.json"


def write_recovery(folder: Path, source: Path, labels: np.ndarray, stem: Path | None = None) -> Path:
    """Store ``labels`` as ``source``'s recovery map (the PNG first, then its description)."""
    folder.mkdir(parents=True, exist_ok=True)
    png, info = recovery_files(folder, source)
    picture = Image.fromarray(labels) if labels.dtype == np.uint8 else \
        Image.frombytes("I;16", labels.shape[::-1], labels.astype("<u2").tobytes())
    with atomic_path(png) as temp:
        picture.save(temp, format="PNG", **PNG_SPEED)  # the writers' fast level: rewritten after every stroke
    text = json.dumps({"source": str(Path(source).resolve()), "stem": str(stem or ""),
                       "height": int(labels.shape[0]), "width": int(labels.shape[1]), "saved_at": time.time()})
    atomic_write_bytes(info, text.encode("utf-8"))
    return png


def read_recovery(folder: Path, source: Path, shape: tuple[int, int], num_classes: int) -> Recovery | None:
    """``source``'s recovery map when there is a usable one (right photo, size and classes)."""
    png, info = recovery_files(folder, source)
    try:
        meta = json.loads(info.read_text(encoding="utf-8"))
        if meta.get("source") != str(Path(source).resolve()):
            return None
        labels = read_label_map(png)
    except (OSError, ValueError, ImageReadError, AttributeError):
        return None
    if labels.shape != tuple(shape):
        return None
    values = np.unique(labels)
    if np.any((values >= num_classes) & (values != 255)):
        return None
    return Recovery(labels, str(meta["source"]), str(meta.get("stem", "")), float(meta.get("saved_at", 0.0)))


def remove_recovery(folder: Path, source: Path) -> None:
    for path in recovery_files(folder, source):
        path.unlink(missing_ok=True)
