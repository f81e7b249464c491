"""The Edit toolbar: tools, brush size, the class to paint, what the tools paint over, the
current tool's own option (the eraser's value, the class replaced, contiguous fill), undo/redo.

Widgets and actions only; what they do is the editor's (app.gui.editor.link).
Shortcuts: B brush, E eraser, F fill, P polygon, R replace, comma/period brush size,
I picks the class under the cursor, Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo and redo.

An option of one tool shows only while that tool is chosen, all in one slot as wide as
the widest of them (so nothing after it moves): with every option shown at once the
toolbar no longer fitted a 1400-pixel window.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QSpinBox, QStackedWidget,
                               QToolBar, QWidget)

from app.gui.editor.class_pickers import ClassPicker, OverPicker

TOOLS = {"brush": ("&Brush", "B", "Paint the class with a round brush (B)"),
         "eraser": ("&Eraser", "E", "Paint the eraser's value, ignore (255) unless chosen (E)"),
         "fill": ("&Fill", "F", "Fill the connected region under the click, or with Contiguous off every "
                                "pixel of its class (F)"),
         "polygon": ("&Polygon", "P", "Click the corners, double-click or Enter to fill; drag for a rectangle (P)"),
         "replace": ("&Replace", "R", "Replace one class by the paint class inside a rectangle (drag) "
                                      "or polygon (clicks), or in the whole image (R)")}
SIZE_KEYS = (",", ".")  # [ and ] are the overlay's opacity
PICK_KEY = "I"
MAX_BRUSH = 500
SIZED_TOOLS = ("brush", "eraser")  # the tools the Size box applies to


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
        # shown for the brush and the eraser only (the other tools have no size); its place
        # is kept while hidden, so the class boxes after it do not move
        self.size_label = QLabel(" Size ")
        self.addWidget(self._kept_place(self.size_label, self.brush_size))
        self.paint_class = ClassPicker(False, "The class to paint (type to search; click a class in the legend, "
                                              f"or press {PICK_KEY} over the image, to pick one)")
        self.addWidget(QLabel("  Class "))
        self.addWidget(self.paint_class)
        self.paint_over = OverPicker()
        self.over_label = QLabel("  Over ")
        self.over_label.setToolTip(self.paint_over.toolTip())
        self.addWidget(self.over_label)
        self.addWidget(self.paint_over)
        self.eraser_value = ClassPicker(True, "What the eraser paints: ignore (255), or a class")
        self.replace_from = ClassPicker(False, "Replace: the class that becomes the paint class")
        self.contiguous = QCheckBox("Contiguous")
        self.contiguous.setChecked(True)
        self.contiguous.setToolTip("On: the fill changes the connected region under the click (4-connected); "
                                   "off: every pixel of the clicked class in the image")
        self.tool_options = QStackedWidget()
        self._option_pages = {"eraser": self._page(QLabel("  Eraser "), self.eraser_value),
                              "replace": self._page(QLabel("  Replace "), self.replace_from),
                              "fill": self._page(QLabel("  "), self.contiguous)}
        self._no_options = self._page()
        # as wide as its widest page, never stretched: what follows stays where it is
        self.tool_options.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.addWidget(self.tool_options)
        for action in self.tool_actions.values():  # (set_tool checks one without a trigger)
            action.toggled.connect(lambda _on: self._show_options(self.tool()))
        self._show_options(self.tool())
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
        for picker in (self.paint_class, self.paint_over, self.eraser_value, self.replace_from):
            picker.set_classes(names, palette)

    def _page(self, *widgets: QWidget) -> QWidget:
        page = QWidget()
        layout = QHBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for widget in widgets:
            layout.addWidget(widget)
        layout.addStretch(1)
        self.tool_options.addWidget(page)
        return page

    @staticmethod
    def _kept_place(*widgets: QWidget) -> QWidget:
        """``widgets`` in a row that keeps its width while they are hidden."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for widget in widgets:
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)
            layout.addWidget(widget)
        return row

    def _show_options(self, tool: str) -> None:
        """The chosen tool's own option in the slot; Over does not apply to Replace (it has
        its own class to change), Size only to the brush and the eraser."""
        self.tool_options.setCurrentWidget(self._option_pages.get(tool, self._no_options))
        for over in (self.over_label, self.paint_over):
            over.setEnabled(tool != "replace")
        for size in (self.size_label, self.brush_size):
            size.setVisible(tool in SIZED_TOOLS)

    def step_size(self, factor: float) -> None:
        """Grow or shrink the brush by ``factor``, by at least one pixel."""
        size = self.brush_size.value()
        new = round(size * factor)
        if new == size:
            new = size + (1 if factor > 1 else -1)
        self.brush_size.setValue(max(1, min(MAX_BRUSH, new)))

    def connect_tools(self, slot: Callable[[str], None]) -> None:
        self.tool_group.triggered.connect(lambda action: slot(str(action.data())))
