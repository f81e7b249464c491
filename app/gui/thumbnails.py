"""Folder thumbnails, decoded on a thread pool (never on the GUI thread).

QImage is safe to build off the GUI thread (QPixmap is not): the runnable makes
a QImage and the GUI turns it into an icon when the queued signal arrives.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, QThreadPool, Signal
from PySide6.QtGui import QImage

THUMB_SIZE = QSize(72, 54)


def load_thumbnail(path: Path, size: QSize = THUMB_SIZE) -> QImage:
    """A small RGB QImage of the file, EXIF orientation applied; null on failure.

    Read by the project's one image reader (allowed formats, regular files, pixel limit).
    """
    from app.engine.imageio import read_thumbnail

    try:
        rgb = read_thumbnail(path, size.width(), size.height())
    except Exception:  # noqa: BLE001 - a refused or broken file just has no thumbnail
        return QImage()
    height, width = rgb.shape[:2]
    qimage = QImage(rgb.data, width, height, width * 3, QImage.Format.Format_RGB888)
    return qimage.copy()  # own the pixels; ``rgb`` dies with this frame


class _Job(QRunnable):
    def __init__(self, loader: "ThumbnailLoader", generation: int, path: Path) -> None:
        super().__init__()
        self.loader, self.generation, self.path = loader, generation, path

    def run(self) -> None:
        if self.loader.is_current(self.generation):
            image = load_thumbnail(self.path)
            if self.loader.is_current(self.generation):
                self.loader.thumbnailReady.emit(str(self.path), image)


class ThumbnailLoader(QObject):
    """Queue thumbnails for a folder; ``reset()`` forgets the queued work of the old one."""

    thumbnailReady = Signal(str, QImage)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # keep the cores for the model
        self._generation = 0
        self._lock = threading.Lock()

    def is_current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation

    def reset(self) -> None:
        with self._lock:
            self._generation += 1
        self._pool.clear()

    def request(self, paths: list[Path]) -> None:
        with self._lock:
            generation = self._generation
        for path in paths:
            self._pool.start(_Job(self, generation, path))

    def shutdown(self, timeout_ms: int = 1000) -> None:
        self.reset()
        self._pool.waitForDone(timeout_ms)
