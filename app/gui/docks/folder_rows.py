"""How one image's row in the folder list looks: its columns, status, review state and confidence.

The status column keeps the run's ``ItemStatus`` value in the item's data (``row_status``
reads it back) and shows the work state's word (folder_work.py) in that word's colour; the
review column shows the state as coloured text with a dot.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPixmap
from PySide6.QtWidgets import QTreeWidgetItem

from app.gui.thumbnails import THUMB_SIZE
from app.labels.review import ReviewState

PATH_ROLE = Qt.ItemDataRole.UserRole  # column 0: the image's path; column 1: its status value
NAME_COL, STATUS_COL, REVIEW_COL, CONF_COL = range(4)


class ItemStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a batch run found its label files already written
    LABELS = "labels"    # a label map was found beside the folder: shown without the model


LABELLED, EDITED = "labelled", "edited"  # the work states no run status is named after

# One colour per word the Status column shows, whichever run status says it: an image a run
# skipped and one whose labels were found beside the folder are both "labelled", green.
STATUS_COLORS = {ItemStatus.PENDING.value: "#9aa0a6", ItemStatus.RUNNING.value: "#f9ab00",
                 ItemStatus.DONE.value: "#34a853", ItemStatus.FAILED.value: "#ea4335",
                 ItemStatus.SKIPPED.value: "#4285f4", ItemStatus.LABELS.value: "#4285f4",
                 LABELLED: "#34a853", EDITED: "#a142f4"}
REVIEW_COLORS = {ReviewState.UNREVIEWED: "#80868b", ReviewState.ACCEPTED: "#34a853",
                 ReviewState.NEEDS_WORK: "#fa7b17"}
REVIEW_TEXT = {ReviewState.UNREVIEWED: "\u2013", ReviewState.ACCEPTED: "\u2713 accepted",
               ReviewState.NEEDS_WORK: "\u2717 needs work"}


def review_icon(state: ReviewState, size: int = 10) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(REVIEW_COLORS[state]))
    return QIcon(pixmap)


def blank_icon(color: str = "#3c4043") -> QIcon:
    """A thumbnail-sized square: the placeholder until the thumbnail is read, or (red) unreadable."""
    pixmap = QPixmap(THUMB_SIZE)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


def paint_review(item: QTreeWidgetItem, state: ReviewState, icon: QIcon) -> None:
    item.setText(REVIEW_COL, REVIEW_TEXT[state])
    item.setIcon(REVIEW_COL, icon)
    item.setForeground(REVIEW_COL, QBrush(QColor(REVIEW_COLORS[state])))
    item.setToolTip(REVIEW_COL, state.title)


def paint_status(item: QTreeWidgetItem, status: ItemStatus, word: str, tip: str) -> None:
    """Keep the run's ``status`` in the row; show the work state's ``word`` in its colour."""
    item.setText(STATUS_COL, word)
    item.setData(STATUS_COL, PATH_ROLE, status.value)
    item.setForeground(STATUS_COL, QBrush(QColor(STATUS_COLORS[word])))
    item.setToolTip(STATUS_COL, tip)


def paint_confidence(item: QTreeWidgetItem, mean: float | None) -> None:
    """The image's mean confidence from its saved ``NAME.json`` record (None: no record)."""
    item.setText(CONF_COL, "" if mean is None else f"{100 * mean:.1f}%")
    item.setToolTip(CONF_COL, "no NAME.json record" if mean is None else
                    f"mean confidence {100 * mean:.1f}% (from NAME.json)")


def row_status(item: QTreeWidgetItem) -> ItemStatus:
    return ItemStatus(item.data(STATUS_COL, PATH_ROLE))
