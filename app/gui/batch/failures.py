"""The failures of a run, one per line with its reason, in text the user can select and copy."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.engine.batch import FileRecord


def failure_line(record: FileRecord) -> str:
    """``path: reason``; engine messages that already start with the path are not doubled."""
    reason = record.error or "failed"
    if reason.startswith(f"{record.input}: "):
        reason = reason[len(record.input) + 2:]
    return f"{record.input}: {reason}"


class FailuresView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)  # read-only still selects and copies
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # copies as one line each
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setPlaceholderText("No failures.")
        self.copy_button = QPushButton("Copy All")
        self.copy_button.setToolTip("Copy every failure and its reason to the clipboard")
        self.copy_button.clicked.connect(self.copy_all)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.text, 1)
        self.clear()

    def clear(self) -> None:
        self.text.clear()
        self._count = 0
        self._update_title()

    def add(self, record: FileRecord) -> None:
        self.text.appendPlainText(failure_line(record))
        self._count += 1
        self._update_title()

    def set_records(self, records: list[FileRecord]) -> None:
        self.clear()
        for record in records:
            self.add(record)

    def lines(self) -> list[str]:
        text = self.text.toPlainText()
        return text.splitlines() if text else []

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())

    def _update_title(self) -> None:
        self.title.setText(f"Failed: {self._count}" if self._count else "Failed: none")
        self.copy_button.setEnabled(self._count > 0)
