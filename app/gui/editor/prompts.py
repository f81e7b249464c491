"""The editor's questions to the user, one function each (tests answer them by patching
QMessageBox / QFileDialog)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

Button = QMessageBox.StandardButton


def ask_unsaved(parent: QWidget, name: str) -> str:
    """'save', 'discard' or 'cancel' for the unsaved edits of image ``name``."""
    answer = QMessageBox.question(
        parent, "Unsaved label edits",
        f"The labels of {name} have edits that are not saved.\n\nSave them before going on?",
        Button.Save | Button.Discard | Button.Cancel, Button.Save)
    return {Button.Save: "save", Button.Discard: "discard"}.get(answer, "cancel")


def ask_restore(parent: QWidget, name: str, saved_at: float) -> bool:
    when = datetime.fromtimestamp(saved_at).strftime("%Y-%m-%d %H:%M:%S") if saved_at else "an earlier session"
    answer = QMessageBox.question(
        parent, "Recover label edits?",
        f"Label edits of {name} from {when} were never saved (the app did not close normally).\n\n"
        "Restore them? (No throws them away.)", Button.Yes | Button.No, Button.Yes)
    return answer == Button.Yes


def ask_replace(parent: QWidget, label: Path) -> bool:
    answer = QMessageBox.question(
        parent, "Replace label map?",
        f"{label} already exists and is not an edited map of this image.\n\nReplace it with the edited labels?",
        Button.Yes | Button.No, Button.No)
    return answer == Button.Yes


def ask_replace_edits(parent: QWidget, label: Path) -> bool:
    answer = QMessageBox.question(
        parent, "Replace edited labels?",
        f"{label} holds label edits saved earlier, and what you edited did not start from them "
        "(Review > Show Labels from Folder shows saved labels; off, the model's prediction is shown).\n\n"
        "Replace the earlier edits with these labels?",
        Button.Yes | Button.No, Button.No)
    return answer == Button.Yes


def ask_folder(parent: QWidget, start: Path | None) -> Path | None:
    """The folder to save label maps of this image folder in (remembered by the caller)."""
    folder = QFileDialog.getExistingDirectory(parent, "Save Labels In", str(start or ""))
    return Path(folder) if folder else None
