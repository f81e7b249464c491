"""The Edit toolbar: tools, brush size, the class to paint, the eraser's value, undo/redo.

Widgets and actions only; what they do is the editor's (app.gui.editor.link).
Shortcuts: B brush, E eraser, F fill, P polygon, R replace, comma/period brush size,
I picks the class under the cursor, Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo and redo.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QCompleter, QLabel, QProgressBar, QSpinBox, QToolBar, QWidget

from app.editing import IGNORE
from app.gui.docks.legend import swatch

TOOLS = {"brush": ("&Brush", "B", "Paint the class with a round brush (B)"),
         "eraser": ("&Eraser", "E", "Paint the eraser's value, ignore (255) unless chosen (E)"),
         "fill": ("&Fill", "F", "Fill the connected region under the click (F)"),
         "polygon": ("&Polygon", "P", "Click the corners, double-click or Enter to fill; drag for a rectangle (P)"),
         "replace": ("&Replace", "R", "Replace one class by the paint class inside a rectangle (drag) "
                                      "or polygon (clicks), or in the whole image (R)")}
SIZE_KEYS = (",", ".")  # [ and ] are the overlay's opacity
PICK_KEY = "I"
MAX_BRUSH = 500


class ClassPicker(QComboBox):
    """A combo of the classes (swatch, index, name) with type-to-search; ignore is optional."""

    classChosen = Signal(int)

    def __init__(self, with_ignore: bool, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.with_ignore = with_ignore
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMinimumWidth(170)
        self.setToolTip(tip)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self.activated.connect(self._on_activated)
        completer.activated[str].connect(self._on_text_chosen)  # type: ignore[index]

    def set_classes(self, names: tuple[str, ...], palette) -> None:  # noqa: ANN001 - (C, 3) array
        current = self.value()
        self.blockSignals(True)
        self.clear()
        if self.with_ignore:
            self.addItem(swatch((0, 0, 0)), f"ignore ({IGNORE})", IGNORE)
        for index, name in enumerate(names):
            red, green, blue = (int(v) for v in palette[index][:3])
            self.addItem(swatch((red, green, blue)), f"{index}: {name}", index)
        self.blockSignals(False)
        self.set_value(current if current is not None else (IGNORE if self.with_ignore else 0))

    def value(self) -> int | None:
        data = self.currentData()
        return None if data is None else int(data)

    def set_value(self, value: int) -> None:
        index = self.findData(int(value))
        if index >= 0:
            self.setCurrentIndex(index)

    def _on_activated(self, index: int) -> None:
        if index >= 0:
            self.classChosen.emit(int(self.itemData(index)))

    def _on_text_chosen(self, text: str) -> None:
        index = self.findText(text)
        if index >= 0:
            self.setCurrentIndex(index)
            self.classChosen.emit(int(self.itemData(index)))


class EditToolbar(QToolBar):
    def __init__(self, parent: QWidget) -> None:
        super().__init__("Edit", parent)
        self.setObjectName("editToolbar")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.tool_actions: dict[str, QAction] = {}
        self.tool_group = QActionGroup(self)
        for name, (text, key, tip) in TOOLS.items():
            action = QAction(text, parent, checkable=True)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(tip)
            action.setData(name)
            self.tool_group.addAction(action)
            self.tool_actions[name] = action
            self.addAction(action)
        self.tool_actions["brush"].setChecked(True)
        self.addSeparator()
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, MAX_BRUSH)
        self.brush_size.setValue(15)
        self.brush_size.setSuffix(" px")
        self.brush_size.setToolTip(f"Brush and eraser size in image pixels ({SIZE_KEYS[0]} and {SIZE_KEYS[1]})")
        self.addWidget(QLabel(" Size "))
        self.addWidget(self.brush_size)
        self.paint_class = ClassPicker(False, "The class to paint (type to search; click a class in the legend, "
                                              f"or press {PICK_KEY} over the image, to pick one)")
        self.addWidget(QLabel("  Class "))
        self.addWidget(self.paint_class)
        self.eraser_value = ClassPicker(True, "What the eraser paints: ignore (255), or a class")
        self.addWidget(QLabel("  Eraser "))
        self.addWidget(self.eraser_value)
        self.replace_from = ClassPicker(False, "Replace: the class that becomes the paint class")
        self.addWidget(QLabel("  Replace "))
        self.addWidget(self.replace_from)
        self.addSeparator()
        # an edit being computed off the GUI thread (see app.gui.editor.edit_queue)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # no percentage: it moves while the edit runs
        self.busy_bar.setMaximumWidth(60)
        self.busy_bar.setMaximumHeight(12)
        self.busy_bar.setTextVisible(False)
        self.busy_label = QLabel()
        self.busy_label.setObjectName("editBusy")
        self.busy_label.setToolTip("An edit is being computed; what you do meanwhile waits and follows in order")
        self._busy_items = [self.addWidget(self.busy_bar), self.addWidget(self.busy_label)]
        self.set_busy("")

    def set_busy(self, text: str) -> None:
        """Show ``text`` ("Filling...") with a moving bar, or nothing when ""."""
        self.busy_label.setText(f" {text} " if text else "")
        for item in self._busy_items:
            item.setVisible(bool(text))

    def tool(self) -> str:
        checked = self.tool_group.checkedAction()
        return str(checked.data()) if checked is not None else "brush"

    def set_tool(self, name: str) -> None:
        self.tool_actions[name].setChecked(True)

    def set_classes(self, names: tuple[str, ...], palette) -> None:  # noqa: ANN001
        for picker in (self.paint_class, self.eraser_value, self.replace_from):
            picker.set_classes(names, palette)

    def step_size(self, factor: float) -> None:
        """Grow or shrink the brush by ``factor``, by at least one pixel."""
        size = self.brush_size.value()
        new = round(size * factor)
        if new == size:
            new = size + (1 if factor > 1 else -1)
        self.brush_size.setValue(max(1, min(MAX_BRUSH, new)))

    def connect_tools(self, slot: Callable[[str], None]) -> None:
        self.tool_group.triggered.connect(lambda action: slot(str(action.data())))
