"""Folder thumbnails, decoded on a thread pool (never on the GUI thread).

QImage is safe to build off the GUI thread (QPixmap is not): the runnable makes
a QImage and the GUI turns it into an icon when the queued signal arrives.

Each thumbnail goes through the project's one reader, so its checks (allowed formats,
regular files, the pixel limit, a decodable file) run for every image as the folder is
scanned: a file it refuses is reported (``thumbnailFailed``) and flagged in the list
before anyone visits it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, QThreadPool, Signal
from PySide6.QtGui import QImage

THUMB_SIZE = QSize(72, 54)


def read_thumbnail_image(path: Path, size: QSize = THUMB_SIZE) -> QImage:
    """A small RGB QImage of the file, EXIF orientation applied; ``ImageReadError`` (the
    reader's message) when the file is refused or broken."""
    from app.engine.imageio import read_thumbnail

    rgb = read_thumbnail(path, size.width(), size.height())
    height, width = rgb.shape[:2]
    qimage = QImage(rgb.data, width, height, width * 3, QImage.Format.Format_RGB888)
    return qimage.copy()  # own the pixels; ``rgb`` dies with this frame


def load_thumbnail(path: Path, size: QSize = THUMB_SIZE) -> QImage:
    """As ``read_thumbnail_image``, null on any failure."""
    try:
        return read_thumbnail_image(path, size)
    except Exception:  # noqa: BLE001 - a refused or broken file just has no thumbnail
        return QImage()


class _Job(QRunnable):
    def __init__(self, loader: "ThumbnailLoader", generation: int, path: Path) -> None:
        super().__init__()
        self.loader, self.generation, self.path = loader, generation, path

    def run(self) -> None:
        from app.engine.imageio import ImageReadError

        if not self.loader.is_current(self.generation):
            return
        try:
            image = read_thumbnail_image(self.path)
        except ImageReadError as exc:
            if self.loader.is_current(self.generation):
                self.loader.thumbnailFailed.emit(str(self.path), str(exc))
            return
        except Exception:  # noqa: BLE001 - whatever else goes wrong, the list just shows no thumbnail
            return
        if self.loader.is_current(self.generation):
            self.loader.thumbnailReady.emit(str(self.path), image)


class ThumbnailLoader(QObject):
    """Queue thumbnails for a folder; ``reset()`` forgets the queued work of the old one."""

    thumbnailReady = Signal(str, QImage)
    thumbnailFailed = Signal(str, str)  # path, the reader's message: the file cannot be read

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
