"""Legend dock: the classes present, largest first, with show/hide and highlight.

Hiding and highlighting are separate: the checkbox shows or hides a class, a click
on its name highlights it (the others are dimmed) and a second click clears it. The
line under the list always says what is highlighted and how many classes are hidden.
A highlight carries over to the next image only when that image has the class;
"All" and "None" clear it, and highlighting a hidden class shows it again.

Those rules live in the Qt-free model (app.viewing.class_display.ClassDisplay, the
viewer's); this dock shows it and turns clicks into its calls.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QToolButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.viewing.class_display import NO_CLASS, ClassDisplay
from app.viewing.events import Event

CLASS_ROLE = Qt.ItemDataRole.UserRole


def swatch(rgb: tuple[int, int, int], size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


def tool_button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button


class LegendDock(QDockWidget):
    classVisibilityChanged = Signal(object)  # np.ndarray[bool] of length C
    highlightChanged = Signal(int)       # class index, -1 for none
    classClicked = Signal(int)  # a row was clicked, its name or its checkbox (the editor picks it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Legend", parent)
        self.setObjectName("legendDock")
        self.filter = QLineEdit(placeholderText="Filter classes")
        self.filter.setClearButtonEnabled(True)
        self.show_all = tool_button("All", "Show every class (clears the highlight)")
        self.show_none = tool_button("None", "Hide every class (clears the highlight)")
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Class", "Area"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setToolTip("Tick to show or hide a class; click a name to highlight it, again to clear")
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.clear_highlight = tool_button("Clear Highlight", "Show every class at full opacity")
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
        self.model = ClassDisplay()
        self._updating = False
        self._toggled = -1  # the class whose checkbox this click toggled: the click does not highlight
        self._swatches: dict[tuple[int, int, int], QIcon] = {}
        self.filter.textChanged.connect(self._apply_filter)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.itemClicked.connect(self._on_item_clicked)
        self.show_all.clicked.connect(lambda: self.model.set_all(True))
        self.show_none.clicked.connect(lambda: self.model.set_all(False))
        self.clear_highlight.clicked.connect(lambda: self.model.set_highlight(NO_CLASS))
        self._observe(self.model)
        self._show_state()

    # --- the model (app.viewing.class_display) ----------------------------------------------
    def bind(self, model: ClassDisplay) -> None:
        """Show and change ``model`` (the viewer's) instead of the dock's own."""
        for event, slot in self._slots(self.model):
            event.disconnect(slot)
        self.model = model
        self._observe(model)
        self._on_counts()

    def _slots(self, model: ClassDisplay) -> list[tuple[Event, Callable[..., None]]]:
        return [(model.reset, self._on_counts), (model.counts_changed, self._on_counts),
                (model.visibility, self._on_visibility), (model.highlight_changed, self._on_highlight)]

    def _observe(self, model: ClassDisplay) -> None:
        for event, slot in self._slots(model):
            event.connect(slot)

    @property
    def _names(self) -> tuple[str, ...]:
        return self.model.names

    # --- the dock's interface (the viewer, the editor) -------------------------------------
    def set_classes(self, names: tuple[str, ...]) -> None:
        """A new model: every class visible, nothing highlighted."""
        self.model.set_classes(names)

    def visible(self) -> np.ndarray:
        return self.model.visible()

    def highlight(self) -> int:
        return self.model.highlight

    def show_counts(self, counts: np.ndarray | None, palette: np.ndarray) -> None:
        """Fill the list with the classes present in ``counts`` (pixels per class); a
        highlighted class the new image lacks is no longer highlighted."""
        self.model.show_counts(counts, palette)

    def set_class_visible(self, index: int, on: bool) -> None:
        self.model.set_visible(index, on)

    def set_highlight(self, index: int) -> None:
        """Highlight a class (-1 clears); a hidden class is shown again to be highlighted."""
        self.model.set_highlight(index)

    def rows(self) -> list[tuple[int, str, str, bool]]:
        """(class index, name, area text, checked) of the rows shown, in order."""
        return [(int(item.data(0, CLASS_ROLE)), item.text(0), item.text(1), item.checkState(0) == Qt.CheckState.Checked)
                for item in self._items() if not item.isHidden()]

    def _items(self) -> list[QTreeWidgetItem]:
        """The rows, in order (Qt types topLevelItem as optional: none is missing in range)."""
        rows = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in rows if item is not None]

    # --- model -> widgets ------------------------------------------------------------------
    def _on_counts(self) -> None:
        """The rows: the classes present, largest first, ticked when shown."""
        model, counts = self.model, self.model.counts
        self._updating = True
        self.tree.clear()
        if counts is not None and len(model.names):
            total = max(int(counts.sum()), 1)
            for index in model.present():
                item = QTreeWidgetItem([model.names[index], f"{100.0 * counts[index] / total:.1f} %"])
                item.setData(0, CLASS_ROLE, int(index))
                item.setIcon(0, self._swatch(tuple(int(v) for v in model.palette[index][:3])))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked if model.is_visible(index) else Qt.CheckState.Unchecked)
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(0, f"{model.names[index]} (class {index}): {int(counts[index]):,} pixels")
                self.tree.addTopLevelItem(item)
                if index == model.highlight:
                    item.setSelected(True)
                    self._mark(item, True)
        self._updating = False
        self._apply_filter(self.filter.text())
        self._show_state()

    def _swatch(self, rgb: tuple[int, ...]) -> QIcon:
        key = (rgb[0], rgb[1], rgb[2])
        if key not in self._swatches:  # icons are made once per colour, not once per image
            self._swatches[key] = swatch(key)
        return self._swatches[key]

    def _on_visibility(self, visible: np.ndarray) -> None:
        self._updating = True
        for item in self._items():
            on = bool(visible[int(item.data(0, CLASS_ROLE))])
            if (item.checkState(0) == Qt.CheckState.Checked) != on:
                item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self._updating = False
        self._show_state()
        self.classVisibilityChanged.emit(visible.copy())

    def _on_highlight(self, index: int) -> None:
        self._updating = True
        self.tree.clearSelection()
        for row in self._items():
            self._mark(row, False)
        item = self._item_for(index)
        if item is not None:
            item.setSelected(True)
            self._mark(item, True)
            self.tree.scrollToItem(item)
        self._updating = False
        self._show_state()
        self.highlightChanged.emit(index)

    # --- widgets -> model ------------------------------------------------------------------
    def _item_for(self, index: int) -> QTreeWidgetItem | None:
        return next((item for item in self._items() if item.data(0, CLASS_ROLE) == index), None)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        index = int(item.data(0, CLASS_ROLE))
        on = item.checkState(0) == Qt.CheckState.Checked
        if self.model.is_visible(index) != on:
            self._toggled = index  # a click on the checkbox emits itemClicked right after this
            QTimer.singleShot(0, self._forget_toggle)
            self.model.set_visible(index, on)

    def _forget_toggle(self) -> None:
        self._toggled = -1

    def _on_item_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        index = int(item.data(0, CLASS_ROLE))
        self.classClicked.emit(index)
        if index == self._toggled:  # the checkbox: show/hide only
            self._toggled = -1
            return
        self.model.toggle_highlight(index)

    def _mark(self, item: QTreeWidgetItem, on: bool) -> None:
        font = QFont(item.font(0))
        font.setBold(on)
        item.setFont(0, font)
        item.setFont(1, font)

    def _show_state(self) -> None:
        """What is highlighted and hidden, in words (the overlay alone can mislead)."""
        self.state_label.setText(self.model.summary())
        self.clear_highlight.setVisible(self.model.highlight >= 0)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for item in self._items():
            item.setHidden(bool(needle) and needle not in item.text(0).lower())
