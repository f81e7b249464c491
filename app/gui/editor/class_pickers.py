"""The Edit toolbar's class boxes: the class to paint, the eraser's value, the class replaced,
and what the tools may paint over ("Over: any class / ignore (255) only / a class")."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from app.editing import IGNORE
from app.gui.docks.legend import swatch

ANY = -1  # the Over box's "any class" entry (no label value is negative)
IGNORE_KEY = "ignore"  # the remembered Over choice for ignore; a class's is CLASS_KEY + its name
CLASS_KEY = "class:"


class ClassPicker(QComboBox):
    """A combo of the classes (swatch, index, name) with type-to-search; ignore is optional."""

    classChosen = Signal(int)

    def __init__(self, with_ignore: bool, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.with_ignore = with_ignore
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMinimumWidth(150)
        self.setToolTip(tip)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)
        self._matches = completer.popup()
        self.activated.connect(self._on_activated)
        completer.activated[str].connect(self._on_text_chosen)  # type: ignore[index]
        line_edit = self.lineEdit()
        assert line_edit is not None  # editable
        line_edit.returnPressed.connect(self._on_return)

    def event(self, event: QEvent) -> bool:
        """Return and Enter belong to the box while it has the keys: the window's own Return
        (Finish Polygon) took them, so typing "sky" and Return chose nothing; Escape too while
        the list of matches is open (it closes it, not the polygon)."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            keys = {Qt.Key.Key_Return, Qt.Key.Key_Enter}
            if self._matches is not None and self._matches.isVisible():
                keys.add(Qt.Key.Key_Escape)
            if event.key() in keys:
                event.accept()
                return True
        return super().event(event)

    def _on_return(self) -> None:
        """Return after typing: the first class whose entry holds the text (as the list of
        matches shows them); the current choice stays, and shows again, when none does."""
        typed = self.currentText().strip().casefold()
        for index in range(self.count()):
            if typed and typed in self.itemText(index).casefold():
                self.setCurrentIndex(index)
                self.classChosen.emit(int(self.itemData(index)))
                return
        self.setEditText(self.itemText(self.currentIndex()))

    def set_classes(self, names: tuple[str, ...], palette) -> None:  # noqa: ANN001 - (C, 3) array
        choice = self._choice()
        self.blockSignals(True)
        self.clear()
        for icon, text, value in self._first_items():
            self.addItem(icon, text, value)
        for index, name in enumerate(names):
            red, green, blue = (int(v) for v in palette[index][:3])
            self.addItem(swatch((red, green, blue)), f"{index}: {name}", index)
        self._restore(choice)
        self.blockSignals(False)

    def value(self) -> int | None:
        data = self.currentData()
        return None if data is None else int(data)

    def set_value(self, value: int) -> None:
        index = self.findData(int(value))
        if index >= 0:
            self.setCurrentIndex(index)

    def _first_items(self) -> list[tuple[QIcon, str, int]]:
        """The entries before the classes."""
        return [(swatch((0, 0, 0)), f"ignore ({IGNORE})", IGNORE)] if self.with_ignore else []

    def _choice(self) -> object:
        """What stays chosen when the classes are set again (the value, kept by index)."""
        return self.value()

    def _restore(self, choice: object) -> None:
        self.set_value(choice if isinstance(choice, int) else (IGNORE if self.with_ignore else 0))

    def _on_activated(self, index: int) -> None:
        if index >= 0:
            self.classChosen.emit(int(self.itemData(index)))

    def _on_text_chosen(self, text: str) -> None:
        index = self.findText(text)
        if index >= 0:
            self.setCurrentIndex(index)
            self.classChosen.emit(int(self.itemData(index)))


class OverPicker(ClassPicker):
    """What brush, eraser, fill and polygon may change: any pixel, ignore (255) pixels only,
    or one class's pixels only (napari's "preserve labels", for semantic maps).

    The choice is kept by class *name* (``key``), not index: after the class set changes (a
    model of other classes) a class of the same name stays chosen, any other choice falls
    back to "any class", so a restriction never silently moves to an unrelated class."""

    keyChanged = Signal(str)  # "" (any class), "ignore", or "class:" and a class name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(True, "Paint only over: brush, eraser, fill and polygon change only pixels of this "
                               "class (or of ignore); other classes are left as they are", parent)
        self._names: tuple[str, ...] = ()
        self._wanted = ""  # the key to choose once the classes are known
        self.currentIndexChanged.connect(self._on_index)

    def over(self) -> int | None:
        """The value the tools may paint over; None: any."""
        value = self.value()
        return None if value is None or value == ANY else value

    def key(self) -> str:
        over = self.over()
        if over is None:
            return ""
        return IGNORE_KEY if over == IGNORE else CLASS_KEY + self._names[over]

    def described(self) -> str:
        """The pixels the tools may change, in words ("any", "ignore (255)", "'sky'")."""
        over = self.over()
        if over is None:
            return "any"
        return f"ignore ({IGNORE})" if over == IGNORE else f"'{self._names[over]}'"

    def set_key(self, key: str) -> None:
        """Choose by key (a remembered choice); kept until the classes are known."""
        self._wanted = key
        self.set_value(self._value_of(key))

    def set_classes(self, names: tuple[str, ...], palette) -> None:  # noqa: ANN001
        self._names = tuple(names)
        super().set_classes(names, palette)  # restores ``_wanted`` by name, signals blocked
        self._on_index()

    def _choice(self) -> object:
        return self._wanted

    def _restore(self, choice: object) -> None:
        self.set_value(self._value_of(choice if isinstance(choice, str) else ""))

    def _value_of(self, key: str) -> int:
        if key == IGNORE_KEY:
            return IGNORE
        name = key[len(CLASS_KEY):] if key.startswith(CLASS_KEY) else None
        return self._names.index(name) if name in self._names else ANY

    def _first_items(self) -> list[tuple[QIcon, str, int]]:
        return [(QIcon(), "any class", ANY), (swatch((0, 0, 0)), f"ignore ({IGNORE}) only", IGNORE)]

    def _on_index(self, _index: int = -1) -> None:
        self._wanted = self.key()
        # a restriction is easy to forget: the chosen entry stands out while set (the box's
        # text only: the combo's own font went to its list too, every entry bold)
        line_edit = self.lineEdit()
        if line_edit is not None:
            font = line_edit.font()
            font.setBold(self.over() is not None)
            line_edit.setFont(font)
        self.keyChanged.emit(self._wanted)
