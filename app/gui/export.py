"""File > Export Current: the label map, colour mask or overlay of the image on screen.

The pictures come from the engine's writers (app.engine.writers), so an export
is byte-for-byte what the ``segment`` command writes for the same result, and
files are written through a temporary file and a rename, never half-written.
The writers pull in torch, so they are imported only when exporting (by then
the worker has loaded torch anyway).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.gui.save_location import suggested_path

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

KINDS = ("label", "color", "overlay")
FILTERS = {"label": "PNG label map (*.png)", "color": "PNG image (*.png)", "overlay": "JPEG image (*.jpg *.jpeg)"}


def default_target(source: Path | None, kind: str, folder: Path | None = None) -> Path:
    """NAME.png / NAME_color.png / NAME_overlay.jpg as ``segment`` names them, in ``folder``
    (the last one saved into), else beside the photo; never the photo itself."""
    from app.engine.writers import SUFFIXES

    return suggested_path(source, SUFFIXES[kind], folder, "segmentation")


def write_export(kind: str, target: Path, image: Any, result: Any, classes: Any) -> Path:
    from PIL import Image

    from app.engine import writers

    if kind == "label":
        picture, fmt, options = writers.label_image(result.labels, classes), "PNG", dict(writers.PNG_SPEED)
    elif kind == "color":
        picture, fmt, options = Image.fromarray(writers.color_image(result.labels, classes)), "PNG", dict(writers.PNG_SPEED)
    elif kind == "overlay":
        picture = Image.fromarray(writers.overlay_image(image, result.labels, classes))
        fmt, options = "JPEG", {"quality": 90}
    else:
        raise ValueError(f"unknown export kind {kind!r}; expected one of {', '.join(KINDS)}")

    def save(handle: io.BufferedWriter) -> None:
        picture.save(handle, format=fmt, **options)

    # The save dialog has already asked before replacing an existing file.
    writers.atomic_write(target, save, overwrite=True)
    return target


def export_current(window: "MainWindow", kind: str, target: Path | None = None) -> Path | None:
    """Ask where (unless ``target`` is given), write, and report in the message bar."""
    viewer = window.viewer
    if viewer.shown is None or viewer.model is None:
        window.messages.show_message("Nothing to export yet: open an image and wait for its result.", "info")
        return None
    if target is None:
        from app.engine.writers import SUFFIXES

        target = window.save_location.ask(window, "Export", SUFFIXES[kind], FILTERS[kind])
        if target is None:
            return None
    try:
        write_export(kind, target, viewer.shown.image, viewer.shown.result, viewer.model.meta.classes)
    except OSError as exc:
        window.messages.show_message(f"Could not write {target}: {exc.strerror or exc}", "error")
        return None
    window.messages.show_message(f"Saved {target}", "info", timeout_ms=5000)
    return target
