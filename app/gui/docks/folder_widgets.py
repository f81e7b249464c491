"""The controls the folder dock is made of: the review filter, the sort order, the search
field and the list of images. Built here, laid out and kept up to date by FolderDock.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHeaderView, QLineEdit, QTreeWidget

from app.gui.docks.folder_order import FILTERS, SORT_CONFIDENCE, SORT_NAME, SORT_REVIEW
from app.gui.docks.folder_rows import CONF_COL, NAME_COL, REVIEW_COL, STATUS_COL
from app.gui.docks.name_delegate import NameDelegate
from app.gui.thumbnails import THUMB_SIZE


def review_filter_box() -> QComboBox:
    """One entry per filter; FolderDock writes their titles with the counts."""
    box = QComboBox()
    box.setToolTip("Show all images, or only those of one review state")
    for state in FILTERS:
        box.addItem("", state.value if state else "all")
    box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep the arrow keys for navigation
    return box


def sort_box() -> QComboBox:
    box = QComboBox()
    box.addItem("By name", SORT_NAME)
    box.addItem("Lowest confidence first", SORT_CONFIDENCE)
    box.addItem("By review state", SORT_REVIEW)
    box.setToolTip("By name; by the mean confidence in each image's NAME.json, so the worst "
                   "predictions are reviewed first; or unreviewed, needing work, accepted")
    box.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep the arrow keys for navigation
    return box


def search_field() -> QLineEdit:
    field = QLineEdit()
    field.setPlaceholderText("Search names (Ctrl+F)")
    field.setClearButtonEnabled(True)
    field.setToolTip("Show the images whose names contain all these words")
    return field


def image_tree() -> QTreeWidget:
    """Name (with thumbnail), status, review state and mean confidence of each image."""
    tree = QTreeWidget()
    tree.setColumnCount(4)
    tree.setHeaderLabels(["Image", "Status", "Review", "Conf."])
    tree.setRootIsDecorated(False)
    tree.setIconSize(THUMB_SIZE)
    tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # file names differ at the end
    tree.setItemDelegateForColumn(NAME_COL, NameDelegate(tree))  # or two lines, whole
    tree.setUniformRowHeights(True)
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in (STATUS_COL, REVIEW_COL, CONF_COL):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return tree
