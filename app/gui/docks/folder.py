"""Folder dock: the open folder's images with thumbnails and their status."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QHeaderView, QLabel, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from app.gui.thumbnails import THUMB_SIZE, ThumbnailLoader

PATH_ROLE = Qt.ItemDataRole.UserRole


class ItemStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a batch run found its label files already written


STATUS_COLORS = {ItemStatus.PENDING: "#9aa0a6", ItemStatus.RUNNING: "#f9ab00",
                 ItemStatus.DONE: "#34a853", ItemStatus.FAILED: "#ea4335", ItemStatus.SKIPPED: "#4285f4"}


class FolderDock(QDockWidget):
    """Selecting a row emits ``imageSelected``; the window decides what to run.

    ``actions_row`` is a layout under the title where other features (the batch
    "Label Folder..." button) can add their buttons.
    """

    imageSelected = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Folder", parent)
        self.setObjectName("folderDock")
        self.title = QLabel("No folder open")
        self.title.setWordWrap(True)
        self.actions_row = QHBoxLayout()
        self.actions_row.addWidget(self.title, 1)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Image", "Status"])
        self.tree.setRootIsDecorated(False)
        self.tree.setIconSize(THUMB_SIZE)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # file names differ at the end
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.actions_row)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._placeholder = self._blank_icon()
        self._silent = False
        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.thumbnailReady.connect(self._on_thumbnail)
        self.tree.currentItemChanged.connect(self._on_current_changed)

    @staticmethod
    def _blank_icon() -> QIcon:
        pixmap = QPixmap(THUMB_SIZE)
        pixmap.fill(QColor("#3c4043"))
        return QIcon(pixmap)

    def set_folder(self, folder: Path | None, paths: list[Path]) -> None:
        self.thumbnails.reset()
        self._silent = True
        self.tree.clear()
        self._items.clear()
        for path in paths:
            item = QTreeWidgetItem([path.name, ""])
            item.setData(0, PATH_ROLE, str(path))
            item.setIcon(0, self._placeholder)
            item.setToolTip(0, str(path))
            self.tree.addTopLevelItem(item)
            self._items[str(path)] = item
            self._paint_status(item, ItemStatus.PENDING, "")
        self._silent = False
        self.title.setText(f"{folder.name}  ({len(paths)} images)" if folder else "No folder open")
        self.title.setToolTip(str(folder) if folder else "")
        self.thumbnails.request(paths)

    def paths(self) -> list[Path]:
        return [Path(self.tree.topLevelItem(i).data(0, PATH_ROLE))
                for i in range(self.tree.topLevelItemCount())]

    def set_status(self, path: Path, status: ItemStatus, detail: str = "") -> None:
        item = self._items.get(str(path))
        if item is not None:
            self._paint_status(item, status, detail)

    def status(self, path: Path) -> ItemStatus | None:
        item = self._items.get(str(path))
        return None if item is None else ItemStatus(item.data(1, PATH_ROLE))

    def select(self, path: Path) -> None:
        """Make ``path`` current without emitting ``imageSelected``."""
        item = self._items.get(str(path))
        if item is not None and item is not self.tree.currentItem():
            self._silent = True
            self.tree.setCurrentItem(item)
            self.tree.scrollToItem(item)
            self._silent = False

    def _paint_status(self, item: QTreeWidgetItem, status: ItemStatus, detail: str) -> None:
        item.setText(1, status.value)
        item.setData(1, PATH_ROLE, status.value)
        item.setForeground(1, QBrush(QColor(STATUS_COLORS[status])))
        item.setToolTip(1, detail or status.value)

    def _on_thumbnail(self, path: str, image: QImage) -> None:
        item = self._items.get(path)
        if item is not None and not image.isNull():
            item.setIcon(0, QIcon(QPixmap.fromImage(image)))

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous) -> None:  # noqa: ANN001
        if current is not None and not self._silent:
            self.imageSelected.emit(Path(current.data(0, PATH_ROLE)))
