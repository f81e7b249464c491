"""File > Export Current: the label map, colour mask or overlay of the image on screen.

Files are written like the ``segment`` command writes them (NAME.png palette
label map, NAME_color.png, NAME_overlay.jpg), through a temporary file in the
same folder and ``os.replace``, so a user's file is never half-written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from app.gui.rendering import blend, colorize

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

SUFFIXES = {"label": ("", ".png", "PNG label map (*.png)"),
            "color": ("_color", ".png", "PNG image (*.png)"),
            "overlay": ("_overlay", ".jpg", "JPEG image (*.jpg *.jpeg)")}
OVERLAY_OPACITY = 0.5  # what `segment` writes, independent of the on-screen slider


def label_image(labels: np.ndarray, palette: np.ndarray) -> Image.Image:
    """A palette PNG (class index = pixel value) when classes fit in 8 bits, else 16-bit grey."""
    if labels.dtype == np.uint8 and palette.shape[0] <= 256:
        image = Image.fromarray(labels, mode="P")
        flat = np.zeros((256, 3), dtype=np.uint8)
        flat[:palette.shape[0]] = palette[:, :3]
        image.putpalette(flat.reshape(-1).tolist())
        return image
    return Image.fromarray(labels.astype(np.uint16))


def render(kind: str, image: np.ndarray, labels: np.ndarray, palette: np.ndarray) -> Image.Image:
    if kind == "label":
        return label_image(labels, palette)
    if kind == "color":
        return Image.fromarray(colorize(labels, palette))
    if kind == "overlay":
        return Image.fromarray(blend(image, labels, palette, OVERLAY_OPACITY))
    raise ValueError(f"unknown export kind {kind!r}")


def save_atomically(picture: Image.Image, target: Path) -> None:
    fmt = "JPEG" if target.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            picture.save(handle, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_target(source: Path | None, kind: str) -> Path:
    suffix, ext, _ = SUFFIXES[kind]
    if source is None:
        return Path.cwd() / f"segmentation{suffix}{ext}"
    return source.with_name(f"{source.stem}{suffix}{ext}")


def export_current(window: "MainWindow", kind: str, target: Path | None = None) -> Path | None:
    """Ask where (unless ``target`` is given), write, and report in the message bar."""
    viewer = window.viewer
    if viewer.shown is None or viewer.model is None:
        window.messages.show_message("Nothing to export yet: open an image and wait for its result.", "info")
        return None
    if target is None:
        suggested = default_target(viewer.shown_path, kind)
        if suggested == viewer.shown_path:  # never offer to overwrite the photo itself
            suggested = suggested.with_name(f"{suggested.stem}_labels{suggested.suffix}")
        name, _ = QFileDialog.getSaveFileName(window, "Export", str(suggested), SUFFIXES[kind][2])
        if not name:
            return None
        target = Path(name)
    palette = viewer.model.meta.classes.palette
    try:
        save_atomically(render(kind, viewer.shown.image, viewer.shown.result.labels, palette), target)
    except OSError as exc:
        window.messages.show_message(f"Could not write {target}: {exc.strerror or exc}", "error")
        return None
    window.messages.show_message(f"Saved {target}", "info", timeout_ms=5000)
    return target
