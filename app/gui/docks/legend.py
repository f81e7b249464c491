"""Legend dock: the classes present, largest first, with show/hide and highlight.

Hiding and highlighting are separate: the checkbox shows or hides a class, a click
on its name highlights it (the others are dimmed) and a second click clears it. The
line under the list always says what is highlighted and how many classes are hidden.
A highlight carries over to the next image only when that image has the class;
"All" and "None" clear it, and highlighting a hidden class shows it again.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QToolButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

CLASS_ROLE = Qt.ItemDataRole.UserRole


def swatch(rgb: tuple[int, int, int], size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


class LegendDock(QDockWidget):
    classVisibilityChanged = Signal(object)  # np.ndarray[bool] of length C
    highlightChanged = Signal(int)       # class index, -1 for none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Legend", parent)
        self.setObjectName("legendDock")
        self.filter = QLineEdit(placeholderText="Filter classes")
        self.filter.setClearButtonEnabled(True)
        self.show_all = QToolButton(text="All", toolTip="Show every class (clears the highlight)")
        self.show_none = QToolButton(text="None", toolTip="Hide every class (clears the highlight)")
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Class", "Area"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setToolTip("Tick to show or hide a class; click a name to highlight it, again to clear")
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.clear_highlight = QToolButton(text="Clear Highlight", toolTip="Show every class at full opacity")
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.show_all)
        top.addWidget(self.show_none)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tree)
        state = QHBoxLayout()
        state.addWidget(self.state_label, 1)
        state.addWidget(self.clear_highlight)
        layout.addLayout(state)
        self.setWidget(body)
        self._names: tuple[str, ...] = ()
        self._visible = np.ones(0, dtype=bool)
        self._highlight = -1
        self._updating = False
        self._toggled = -1  # the class whose checkbox this click toggled: the click does not highlight
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemClicked.connect(self._on_item_clicked)
        self.show_all.clicked.connect(lambda: self._set_all(True))
        self.show_none.clicked.connect(lambda: self._set_all(False))
        self.clear_highlight.clicked.connect(lambda: self.set_highlight(-1))
        self._show_state()

    # --- state -----------------------------------------------------------------------
    def set_classes(self, names: tuple[str, ...]) -> None:
        """A new model: every class visible, nothing highlighted."""
        self._names = tuple(names)
        self._visible = np.ones(len(names), dtype=bool)
        self._highlight = -1
        self.tree.clear()
        self._show_state()

    def visible(self) -> np.ndarray:
        return self._visible.copy()

    def highlight(self) -> int:
        return self._highlight

    def show_counts(self, counts: np.ndarray | None, palette: np.ndarray) -> None:
        """Fill the list with the classes present in ``counts`` (pixels per class); a
        highlighted class the new image lacks is no longer highlighted."""
        if counts is not None and 0 <= self._highlight and (self._highlight >= len(counts)
                                                            or counts[self._highlight] <= 0):
            self.set_highlight(-1)
        self._updating = True
        self.tree.clear()
        if counts is not None and len(self._names):
            total = max(int(counts.sum()), 1)
            for index in np.argsort(-counts, kind="stable"):
                if counts[index] <= 0:
                    break
                item = QTreeWidgetItem([self._names[index], f"{100.0 * counts[index] / total:.1f} %"])
                item.setData(0, CLASS_ROLE, int(index))
                item.setIcon(0, swatch(tuple(int(v) for v in palette[index][:3])))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked if self._visible[index]
                                   else Qt.CheckState.Unchecked)
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(0, f"{self._names[index]} (class {index}): {int(counts[index]):,} pixels")
                self.tree.addTopLevelItem(item)
                if index == self._highlight:
                    item.setSelected(True)
                    self._mark(item, True)
        self._updating = False
        self._apply_filter(self.filter.text())
        self._show_state()

    def set_class_visible(self, index: int, on: bool) -> None:
        item = self._item_for(index)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        elif 0 <= index < len(self._visible):
            self._visible[index] = on
            self.classVisibilityChanged.emit(self.visible())

    def set_highlight(self, index: int) -> None:
        """Highlight a class (-1 clears); a hidden class is shown again to be highlighted."""
        self._highlight = index if 0 <= index < len(self._names) else -1
        if self._highlight >= 0 and not self._visible[self._highlight]:
            self.set_class_visible(self._highlight, True)
        self._updating = True
        self.tree.clearSelection()
        for i in range(self.tree.topLevelItemCount()):
            self._mark(self.tree.topLevelItem(i), False)
        item = self._item_for(self._highlight)
        if item is not None:
            item.setSelected(True)
            self._mark(item, True)
            self.tree.scrollToItem(item)
        self._updating = False
        self._show_state()
        self.highlightChanged.emit(self._highlight)

    def rows(self) -> list[tuple[int, str, str, bool]]:
        """(class index, name, area text, checked) of the rows shown, in order."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if not item.isHidden():
                out.append((int(item.data(0, CLASS_ROLE)), item.text(0), item.text(1),
                            item.checkState(0) == Qt.CheckState.Checked))
        return out

    # --- reactions ---------------------------------------------------------------------
    def _item_for(self, index: int) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, CLASS_ROLE) == index:
                return item
        return None

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        index = int(item.data(0, CLASS_ROLE))
        on = item.checkState(0) == Qt.CheckState.Checked
        if self._visible[index] != on:
            self._visible[index] = on
            self._toggled = index  # a click on the checkbox emits itemClicked right after this
            QTimer.singleShot(0, self._forget_toggle)
            if not on and index == self._highlight:
                self.set_highlight(-1)  # a hidden class is not highlighted
            self._show_state()
            self.classVisibilityChanged.emit(self.visible())

    def _forget_toggle(self) -> None:
        self._toggled = -1

    def _on_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        index = int(item.data(0, CLASS_ROLE))
        if index == self._toggled:  # the checkbox: show/hide only
            self._toggled = -1
            return
        self.set_highlight(-1 if index == self._highlight else index)

    def _set_all(self, on: bool) -> None:
        if self._highlight >= 0:
            self.set_highlight(-1)
        self._visible[:] = on
        self._updating = True
        for i in range(self.tree.topLevelItemCount()):
            self.tree.topLevelItem(i).setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._updating = False
        self._show_state()
        self.classVisibilityChanged.emit(self.visible())

    def _mark(self, item: QTreeWidgetItem, on: bool) -> None:
        font = QFont(item.font(0))
        font.setBold(on)
        item.setFont(0, font)
        item.setFont(1, font)

    def _show_state(self) -> None:
        """What is highlighted and hidden, in words (the overlay alone can mislead)."""
        parts = []
        if self._highlight >= 0:
            parts.append(f"Highlighted: {self._names[self._highlight]} (others dimmed)")
        hidden = int((~self._visible).sum())
        if hidden:
            parts.append(f"{hidden} class{'es' if hidden > 1 else ''} hidden")
        self.state_label.setText(" · ".join(parts) or "All shown; click a name to highlight it")
        self.clear_highlight.setVisible(self._highlight >= 0)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            item.setHidden(bool(needle) and needle not in item.text(0).lower())
