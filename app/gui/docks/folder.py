"""Folder dock: the open folder's images with thumbnails, their status and review state.

A filter row shows all images or those of one review state (with counts), and the list
can be sorted by the mean confidence of each image's saved record, lowest first.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QComboBox, QDockWidget, QHBoxLayout, QHeaderView, QLabel, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from app.gui.thumbnails import THUMB_SIZE, ThumbnailLoader
from app.labels.confidence import lowest_confidence_first
from app.labels.review import ReviewState

PATH_ROLE = Qt.ItemDataRole.UserRole


class ItemStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a batch run found its label files already written
    LABELS = "labels"    # a label map was found beside the folder: shown without the model


STATUS_COLORS = {ItemStatus.PENDING: "#9aa0a6", ItemStatus.RUNNING: "#f9ab00",
                 ItemStatus.DONE: "#34a853", ItemStatus.FAILED: "#ea4335", ItemStatus.SKIPPED: "#4285f4",
                 ItemStatus.LABELS: "#4285f4"}
REVIEW_COLORS = {ReviewState.UNREVIEWED: "#80868b", ReviewState.ACCEPTED: "#34a853",
                 ReviewState.NEEDS_WORK: "#fa7b17"}
REVIEW_TEXT = {ReviewState.UNREVIEWED: "\u2013", ReviewState.ACCEPTED: "\u2713 accepted",
               ReviewState.NEEDS_WORK: "\u2717 needs work"}
FILTERS = (None, ReviewState.UNREVIEWED, ReviewState.ACCEPTED, ReviewState.NEEDS_WORK)  # None: all
SORT_NAME, SORT_CONFIDENCE = "name", "confidence"
NAME_COL, STATUS_COL, REVIEW_COL, CONF_COL = range(4)


def review_icon(state: ReviewState, size: int = 10) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(REVIEW_COLORS[state]))
    return QIcon(pixmap)


class FolderDock(QDockWidget):
    """Selecting a row emits ``imageSelected``; the window decides what to run.

    ``actions_row`` is a layout under the title where other features (the batch
    "Label Folder..." button) can add their buttons.
    """

    imageSelected = Signal(Path)
    folderSet = Signal(object, list)  # folder (Path | None), its images: labels and review marks follow
    filterChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Folder", parent)
        self.setObjectName("folderDock")
        self.title = QLabel("No folder open")
        self.title.setWordWrap(True)
        self.actions_row = QHBoxLayout()
        self.actions_row.addWidget(self.title, 1)
        self.review_filter = QComboBox()
        self.review_filter.setToolTip("Show all images, or only those of one review state")
        for state in FILTERS:
            self.review_filter.addItem("", state.value if state else "all")
        self.sort = QComboBox()
        self.sort.addItem("By name", SORT_NAME)
        self.sort.addItem("Lowest confidence first", SORT_CONFIDENCE)
        self.sort.setToolTip("Order by the mean confidence in each image's NAME.json, so the worst "
                             "predictions are reviewed first")
        for combo in (self.review_filter, self.sort):
            combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep the arrow keys for navigation
        self.counts = QLabel()
        self.counts.setObjectName("reviewCounts")
        filters_row = QHBoxLayout()
        filters_row.addWidget(self.review_filter, 1)
        filters_row.addWidget(self.sort, 1)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Image", "Status", "Review", "Conf."])
        self.tree.setRootIsDecorated(False)
        self.tree.setIconSize(THUMB_SIZE)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # file names differ at the end
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (STATUS_COL, REVIEW_COL, CONF_COL):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.actions_row)
        layout.addLayout(filters_row)
        layout.addWidget(self.counts)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._order: list[Path] = []                       # the folder's own (name) order
        self._reviews: dict[str, ReviewState] = {}
        self._confidences: dict[Path, float | None] = {}
        self._review_icons = {state: review_icon(state) for state in ReviewState}
        self._placeholder = self._blank_icon()
        self._silent = False
        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.thumbnailReady.connect(self._on_thumbnail)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.review_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.sort.currentIndexChanged.connect(lambda _i: self._apply_order())
        self._update_counts()

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
        self._order, self._reviews, self._confidences = list(paths), {}, {}
        for path in paths:
            item = QTreeWidgetItem([path.name, "", "", ""])
            item.setData(0, PATH_ROLE, str(path))
            item.setIcon(0, self._placeholder)
            item.setToolTip(0, str(path))
            self.tree.addTopLevelItem(item)
            self._items[str(path)] = item
            self._paint_status(item, ItemStatus.PENDING, "")
            self._paint_review(item, ReviewState.UNREVIEWED)
        self._silent = False
        self.title.setText(f"{folder.name}  ({len(paths)} images)" if folder else "No folder open")
        self.title.setToolTip(str(folder) if folder else "")
        self.thumbnails.request(paths)
        self.sort.setEnabled(False)
        self._update_counts()
        self.folderSet.emit(folder, list(paths))

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

    # --- review state, filter, order -----------------------------------------------------
    def set_reviews(self, states: dict[Path, ReviewState]) -> None:
        """Review states of the listed images (others keep theirs)."""
        for path, state in states.items():
            item = self._items.get(str(path))
            if item is not None:
                self._reviews[str(path)] = ReviewState(state)
                self._paint_review(item, ReviewState(state))
        self._apply_filter()
        self._update_counts()

    def review(self, path: Path) -> ReviewState:
        return self._reviews.get(str(path), ReviewState.UNREVIEWED)

    def review_counts(self) -> dict[ReviewState, int]:
        totals = {state: 0 for state in ReviewState}
        for key in self._items:
            totals[self._reviews.get(key, ReviewState.UNREVIEWED)] += 1
        return totals

    def set_confidences(self, confidences: dict[Path, float | None]) -> None:
        """Mean confidence per image (None: no record); enables sorting by it."""
        self._confidences = dict(confidences)
        for path, item in ((Path(k), v) for k, v in self._items.items()):
            value = self._confidences.get(path)
            item.setText(CONF_COL, "" if value is None else f"{100 * value:.1f}%")
            item.setToolTip(CONF_COL, "no NAME.json record" if value is None else
                            f"mean confidence {100 * value:.1f}% (from NAME.json)")
        self.sort.setEnabled(any(v is not None for v in self._confidences.values()))
        self._apply_order()

    def set_filter(self, state: ReviewState | None) -> None:
        self.review_filter.setCurrentIndex(FILTERS.index(state))

    def current_filter(self) -> ReviewState | None:
        return FILTERS[max(0, self.review_filter.currentIndex())]

    def sort_by_confidence(self, on: bool) -> None:
        self.sort.setCurrentIndex(1 if on else 0)

    def visible_paths(self) -> list[Path]:
        return [p for p in self.paths() if not self._items[str(p)].isHidden()]

    def neighbour(self, path: Path | None, step: int) -> Path | None:
        """The shown image ``step`` rows away from ``path`` in list order (None past the ends);
        from an image the filter hides, its place in the full list counts."""
        order = self.paths()
        direction = 1 if step > 0 else -1
        index = order.index(path) if path in order else (-1 if step > 0 else len(order))
        found, remaining = None, abs(step)
        index += direction
        while 0 <= index < len(order) and remaining:
            if not self._items[str(order[index])].isHidden():
                found, remaining = order[index], remaining - 1
            index += direction
        return found

    def next_with_review(self, path: Path | None, state: ReviewState, step: int = 1) -> Path | None:
        """The next (step 1) or previous (-1) image in list order with ``state``, wrapping
        around; ``path`` itself only when it is the only one."""
        order = self.paths()
        if not order:
            return None
        start = order.index(path) if path in order else (-1 if step > 0 else len(order))
        for offset in range(1, len(order) + 1):
            candidate = order[(start + step * offset) % len(order)]
            if self.review(candidate) == state:
                return candidate
        return None

    def _apply_order(self) -> None:
        if self.sort.currentData() == SORT_CONFIDENCE and self.sort.isEnabled():
            order = lowest_confidence_first(self._order, self._confidences)
        else:
            order = self._order
        if order == self.paths():
            return
        current = self.tree.currentItem()
        self._silent = True
        while self.tree.topLevelItemCount():
            self.tree.takeTopLevelItem(0)
        self.tree.addTopLevelItems([self._items[str(p)] for p in order])
        if current is not None:
            self.tree.setCurrentItem(current)
        self._apply_filter()
        self._silent = False

    def _on_filter_changed(self, _index: int) -> None:
        self._apply_filter()
        self.filterChanged.emit()

    def _apply_filter(self) -> None:
        wanted = self.current_filter()
        for key, item in self._items.items():
            item.setHidden(wanted is not None and self._reviews.get(key, ReviewState.UNREVIEWED) != wanted)

    def _update_counts(self) -> None:
        totals = self.review_counts()
        for index, state in enumerate(FILTERS):
            count = len(self._items) if state is None else totals[state]
            title = "All images" if state is None else state.title.capitalize()
            self.review_filter.setItemText(index, f"{title} ({count})")
        done = totals[ReviewState.ACCEPTED] + totals[ReviewState.NEEDS_WORK]
        self.counts.setText(f"Reviewed {done} of {len(self._items)}: {totals[ReviewState.ACCEPTED]} accepted, "
                            f"{totals[ReviewState.NEEDS_WORK]} needing work" if self._items else "")

    def _paint_review(self, item: QTreeWidgetItem, state: ReviewState) -> None:
        item.setText(REVIEW_COL, REVIEW_TEXT[state])
        item.setIcon(REVIEW_COL, self._review_icons[state])
        item.setForeground(REVIEW_COL, QBrush(QColor(REVIEW_COLORS[state])))
        item.setToolTip(REVIEW_COL, state.title)

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
