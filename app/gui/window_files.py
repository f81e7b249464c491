"""What the window opens and how: File > Open Image / Folder / Weights, File > Open Recent,
and files dropped on the window.

One rule for all of them (``open_path``): a weights file loads as the model, anything else
(an image, a folder) goes to the viewer and, once it opened, into the recent list. The
window keeps thin methods of the same names, which the menus and tests call.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from app.gui.files import IMAGES_FILTER, WEIGHTS_FILTER, is_weights

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

# File > Open Recent's sections: the settings' kind of path and the section's title
RECENT_SECTIONS = (("files", "Images"), ("folders", "Folders"), ("weights", "Weights"))


class WindowFiles:
    """The window keeps it as ``files``; it holds no state of its own."""

    def __init__(self, window: "MainWindow") -> None:
        self.w = window

    # --- dialogs -------------------------------------------------------------------------
    def open_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open Image", self._start_dir(), IMAGES_FILTER)
        if path:
            self.open_path(Path(path))

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self.w, "Open Folder", self._start_dir())
        if path:
            self.open_path(Path(path))

    def open_weights_dialog(self) -> None:
        settings = self.w.settings
        start = str(Path(settings.weights()).parent) if settings.weights() else ""
        path, _ = QFileDialog.getOpenFileName(self.w, "Open Weights", start, WEIGHTS_FILTER)
        if path:
            self.load_weights(Path(path))

    def _start_dir(self) -> str:
        return str(self.w.viewer.folder_path or "")

    # --- opening -------------------------------------------------------------------------
    def open_path(self, path: Path) -> None:
        if path.is_file() and is_weights(path):
            self.load_weights(path)
        elif self.w.viewer.open_path(path):
            self.w.settings.add_recent("folders" if path.is_dir() else "files", path)

    def load_weights(self, path: Path) -> None:
        if not self.w.editor.confirm_leave():  # the new model replaces the labels on screen
            return
        self.w.settings.add_recent("weights", path)
        self.w.worker.load_weights(path)

    def fill_recent_menu(self) -> None:
        """Filled each time the menu opens, so it lists what was opened since."""
        menu = self.w.actions_.recent_menu
        menu.clear()
        menu.setToolTipsVisible(True)  # each entry's whole path (a menu hides its tooltips unless told)
        for kind, title in RECENT_SECTIONS:
            paths = self.w.settings.recent(kind)
            if paths:
                menu.addSection(title)
                names = [Path(path).name or path for path in paths]
                for path, name in zip(paths, names):
                    # two photos/ or two scene_1.jpg of other folders: the folder tells them apart
                    text = name if names.count(name) == 1 else f"{name}  \u2014  {Path(path).parent}"
                    menu.addAction(text, partial(self.open_path, Path(path))).setToolTip(path)
        if menu.isEmpty():
            menu.addAction("(nothing yet)").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent", self.clear_recent).setToolTip(
                "Forget the recent images, folders, weights and compared models")

    def clear_recent(self) -> None:
        self.w.settings.clear_recent()
        self.w.compare.recent.update()  # Model > Compare With Recent is empty now

    # --- drag and drop -------------------------------------------------------------------
    @staticmethod
    def drag_enter(event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def drop(self, event: QDropEvent) -> None:
        """Weights first, so that dropped images run with the dropped model."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        for path in sorted(paths, key=lambda p: not (p.is_file() and is_weights(p))):
            self.open_path(path)
        event.acceptProposedAction()
