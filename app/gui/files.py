"""What kind of file the user gave us, and the images of a folder (no torch, no Qt)."""

from __future__ import annotations

import re
from pathlib import Path

from app.engine.imageio import IMAGE_EXTENSIONS

WEIGHT_EXTENSIONS = (".safetensors", ".pth", ".pt", ".ckpt", ".bin", ".tar")
WEIGHTS_FILTER = "Weights (*.safetensors *.pth *.pt *.ckpt *.bin *.tar);;All files (*)"
IMAGES_FILTER = ("Images (" + " ".join(f"*{e}" for e in IMAGE_EXTENSIONS) + ");;All files (*)")


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def is_weights(path: Path) -> bool:
    return path.suffix.lower() in WEIGHT_EXTENSIONS


def natural_key(path: Path) -> list[object]:
    """img2.png before img10.png."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder`` (not sub-folders), hidden files skipped."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if p.is_file() and is_image(p) and not p.name.startswith(".")),
                  key=natural_key)
