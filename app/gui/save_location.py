"""Where a save dialog starts and the name it proposes.

The folder: the one the user last saved an export into (remembered between runs), else
the folder of the image on screen, else the home folder, never the process's current
directory. The name: the image's, with what is saved as its suffix (``photo_color.png``,
``photo_ppm_map.png``), so exports of several images never propose the same file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtWidgets import QFileDialog, QWidget

from app.gui.settings import AppSettings


def suggested_path(image: Path | None, suffix: str, last_folder: Path | None, fallback_stem: str) -> Path:
    """``folder / (stem + suffix)``, never the image itself (``stem_labels + suffix`` then)."""
    folder = last_folder or (image.parent if image is not None else Path.home())
    stem = image.stem if image is not None else fallback_stem
    target = folder / f"{stem}{suffix}"
    if image is not None and target.resolve() == image.resolve():
        target = folder / f"{stem}_labels{suffix}"
    return target


class SaveLocation:
    """The window's one answer to "where should this be saved?"; ``image`` names the image on screen."""

    def __init__(self, settings: AppSettings, image: Callable[[], Path | None]) -> None:
        self._settings, self._image = settings, image

    def suggest(self, suffix: str, fallback_stem: str = "segmentation") -> Path:
        return suggested_path(self._image(), suffix, self._settings.last_save_folder(), fallback_stem)

    def remember(self, path: Path) -> None:
        self._settings.set_last_save_folder(Path(path).parent)

    def ask(self, parent: QWidget, title: str, suffix: str, file_filter: str,
            fallback_stem: str = "segmentation") -> Path | None:
        """A save dialog at the suggested path; the chosen path (with the suffix's extension
        when the user typed none), remembered as the last folder, or None when cancelled."""
        name, _ = QFileDialog.getSaveFileName(parent, title, str(self.suggest(suffix, fallback_stem)), file_filter)
        if not name:
            return None
        path = Path(name)
        extension = Path(suffix).suffix
        if extension and not path.suffix:
            path = path.with_name(path.name + extension)
        self.remember(path)
        return path
