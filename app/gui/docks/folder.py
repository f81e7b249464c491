"""Folder dock: the open folder's images with thumbnails, their status and review state.

A search field keeps the names that contain its words; a filter shows all images, those
of one review state, or the failed ones (with counts); the list is sorted by name, by
the mean confidence of each image's saved record (lowest first) or by review state.
The Status column says what each image has (folder_work.py: labelled, edited, pending,
failed). Files the reader refuses are flagged failed as the folder is scanned (the thumbnail
loader reads every file off the GUI thread), not only once visited.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon, QImage, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QTreeWidgetItem, QVBoxLayout, QWidget

from app.gui.docks import folder_order, folder_widgets
from app.gui.docks.folder_order import FILTERS, SORT_CONFIDENCE, SORT_NAME, SORT_REVIEW
from app.gui.docks.folder_rows import (NAME_COL, PATH_ROLE, STATUS_COL, STATUS_COLORS, ItemStatus,
                                       blank_icon, paint_confidence, paint_review, review_icon, row_status)
from app.gui.docks.folder_work import FLAGGED_UNREADABLE_OVER, StatusColumn
from app.gui.thumbnails import ThumbnailLoader
from app.labels.review import ReviewState


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
        self.review_filter = folder_widgets.review_filter_box()
        self.sort = folder_widgets.sort_box()
        self.search = folder_widgets.search_field()
        self.counts = QLabel()
        self.counts.setObjectName("reviewCounts")
        filters_row = QHBoxLayout()
        filters_row.addWidget(self.review_filter, 1)
        filters_row.addWidget(self.sort, 1)
        self.tree = folder_widgets.image_tree()
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.actions_row)
        layout.addWidget(self.search)
        layout.addLayout(filters_row)
        layout.addWidget(self.counts)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._order: list[Path] = []                       # the folder's own (name) order
        self._reviews: dict[str, ReviewState] = {}
        self._confidences: dict[Path, float | None] = {}
        self.statuses = StatusColumn()
        self._folder: Path | None = None
        self._review_icons = {state: review_icon(state) for state in ReviewState}
        self._placeholder = blank_icon()
        self._unreadable = blank_icon(STATUS_COLORS[ItemStatus.FAILED.value])
        self._silent = False
        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.thumbnailReady.connect(self._on_thumbnail)
        self.thumbnails.thumbnailFailed.connect(self._on_thumbnail_failed)
        self.search.textChanged.connect(lambda _t: self._on_filter_changed(0))
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.review_filter.currentIndexChanged.connect(self._on_filter_changed)
        self.sort.currentIndexChanged.connect(lambda _i: self._apply_order())
        self._update_counts()

    def set_folder(self, folder: Path | None, paths: list[Path]) -> None:
        self.thumbnails.reset()
        self._silent = True
        self.tree.clear()
        self._items.clear()
        self._order, self._reviews, self._confidences = list(paths), {}, {}
        self._folder = folder
        self.statuses.reset(folder, paths)
        for path in paths:
            item = QTreeWidgetItem([path.name, "", "", ""])
            item.setData(0, PATH_ROLE, str(path))
            item.setIcon(0, self._placeholder)
            item.setToolTip(0, str(path))
            self.tree.addTopLevelItem(item)
            self._items[str(path)] = item
            self.statuses.paint(item, ItemStatus.PENDING)
            paint_review(item, ReviewState.UNREVIEWED, self._review_icons[ReviewState.UNREVIEWED])
        self._silent = False
        self.title.setToolTip(str(folder) if folder else "")
        self.thumbnails.request(paths)
        self._set_confidence_sort_offered(False)
        self._apply_filter()
        self._update_counts()
        self.folderSet.emit(folder, list(paths))

    def paths(self) -> list[Path]:
        rows = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [Path(item.data(0, PATH_ROLE)) for item in rows if item is not None]  # never None in range

    def set_status(self, path: Path, status: ItemStatus, detail: str = "") -> None:
        item = self._items.get(str(path))
        if item is not None and self.statuses.paint(item, status, detail):
            self._update_failed_count()
            if self.current_filter() == ItemStatus.FAILED:
                self._apply_filter()

    def status(self, path: Path) -> ItemStatus | None:
        item = self._items.get(str(path))
        return None if item is None else row_status(item)

    def set_label_map(self, path: Path, label: Path | None) -> None:
        """Where ``path``'s label map was written (e.g. a run's output folder), so its row says
        labelled or edited wherever the map lies."""
        self.statuses.work.set_label_map(path, label)
        self.refresh(path)

    def refresh(self, path: Path) -> None:
        """Look at ``path``'s label map and record again (after a save, say)."""
        item = self._items.get(str(path))
        if item is not None:
            self.statuses.repaint(item)

    def shown_status(self, path: Path) -> tuple[str, str]:
        """The Status column's word and tooltip for ``path``."""
        item = self._items[str(path)]
        return item.text(STATUS_COL), item.toolTip(STATUS_COL)

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
                paint_review(item, ReviewState(state), self._review_icons[ReviewState(state)])
        if self.sort.currentData() == SORT_REVIEW:
            self._apply_order()
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
        for key, item in self._items.items():
            paint_confidence(item, self._confidences.get(Path(key)))
        self._set_confidence_sort_offered(any(v is not None for v in self._confidences.values()))
        self._apply_order()

    def set_filter(self, state: ReviewState | ItemStatus | None) -> None:
        self.review_filter.setCurrentIndex(FILTERS.index(state))

    def current_filter(self) -> ReviewState | ItemStatus | None:
        return FILTERS[max(0, self.review_filter.currentIndex())]

    def sort_by_confidence(self, on: bool) -> None:
        self.sort.setCurrentIndex(1 if on else 0)

    def set_search(self, text: str) -> None:
        self.search.setText(text)

    def focus_search(self) -> None:
        self.show()
        self.raise_()
        self.search.setFocus()
        self.search.selectAll()

    def visible_paths(self) -> list[Path]:
        return [p for p in self.paths() if not self._items[str(p)].isHidden()]

    def neighbour(self, path: Path | None, step: int) -> Path | None:
        """The shown image ``step`` rows away from ``path`` in list order (None past the ends);
        from an image the filter hides, its place in the full list counts."""
        return folder_order.neighbour(self.paths(), path, step, lambda p: not self._items[str(p)].isHidden())

    def next_with_review(self, path: Path | None, state: ReviewState, step: int = 1) -> Path | None:
        """The next (step 1) or previous (-1) image in list order with ``state``, wrapping
        around; ``path`` itself only when it is the only one."""
        return folder_order.next_matching(self.paths(), path, lambda p: self.review(p) == state, step)

    def _sort_item(self, key: str) -> QStandardItem:
        """The sort menu's entry for ``key``: a combo box's own model is a QStandardItemModel,
        whose rows can be disabled."""
        model = cast(QStandardItemModel, self.sort.model())
        return model.item(self.sort.findData(key))

    def _set_confidence_sort_offered(self, on: bool) -> None:
        """Lowest confidence first needs saved records; name and review order always work."""
        self._sort_item(SORT_CONFIDENCE).setEnabled(on)
        if not on and self.sort.currentData() == SORT_CONFIDENCE:
            self.sort.setCurrentIndex(0)

    def _apply_order(self) -> None:
        key = self.sort.currentData()
        if key == SORT_CONFIDENCE and not self._sort_item(SORT_CONFIDENCE).isEnabled():
            key = SORT_NAME
        order = folder_order.ordered(self._order, key, self._confidences, self.review)
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
        words = self.search.text().casefold().split()
        shown = 0
        for key, item in self._items.items():
            kept = folder_order.kept(wanted, key in self.statuses.failed, self._reviews.get(key, ReviewState.UNREVIEWED),
                                     item.text(NAME_COL), words)
            item.setHidden(not kept)
            shown += kept
        self._update_title(shown)

    def _update_title(self, shown: int) -> None:
        if self._folder is None:
            self.title.setText("No folder open")
            return
        total = len(self._items)
        count = f"{total} images" if shown == total else f"{shown} of {total} images shown"
        self.title.setText(f"{self._folder.name}  ({count})")

    def _update_failed_count(self) -> None:
        self.review_filter.setItemText(FILTERS.index(ItemStatus.FAILED), f"Failed ({len(self.statuses.failed)})")

    def _update_counts(self) -> None:
        totals = self.review_counts()
        for index, state in enumerate(FILTERS):
            if isinstance(state, ItemStatus):
                continue  # _update_failed_count
            count = len(self._items) if state is None else totals[state]
            title = "All images" if state is None else state.title.capitalize()
            self.review_filter.setItemText(index, f"{title} ({count})")
        self._update_failed_count()
        done = totals[ReviewState.ACCEPTED] + totals[ReviewState.NEEDS_WORK]
        self.counts.setText(f"Reviewed {done} of {len(self._items)}: {totals[ReviewState.ACCEPTED]} accepted, "
                            f"{totals[ReviewState.NEEDS_WORK]} needing work" if self._items else "")

    def _on_thumbnail(self, path: str, image: QImage) -> None:
        item = self._items.get(path)
        if item is not None and not image.isNull():
            item.setIcon(0, QIcon(QPixmap.fromImage(image)))

    def _on_thumbnail_failed(self, path: str, message: str) -> None:
        """The reader refused the file while the folder was scanned: flag it now (a result,
        a run's record or saved labels already shown for it are left as they are)."""
        item = self._items.get(path)
        if item is None:
            return
        item.setIcon(0, self._unreadable)
        if self.status(Path(path)) in FLAGGED_UNREADABLE_OVER:
            self.set_status(Path(path), ItemStatus.FAILED, message)

    def _on_current_changed(self, current: QTreeWidgetItem | None, previous) -> None:  # noqa: ANN001
        if previous is not None:  # its labels may have been saved (edited) while it was shown
            self.refresh(Path(previous.data(0, PATH_ROLE)))
        if current is not None and not self._silent:
            self.imageSelected.emit(Path(current.data(0, PATH_ROLE)))
