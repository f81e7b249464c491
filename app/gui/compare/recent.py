"""Model > Compare With Recent: the checkpoints compared with before (model B), newest first.

A checkpoint is remembered once it has loaded as B, with its size and modification time
then (app.gui.settings). Choosing it loads it again in one click; a file that is gone is
refused with a message and taken off the list, and a file changed since gives a note when
it loads (or beside the loader's message when it no longer loads). Nothing is loaded at
start-up: model B costs as much memory as A, and the user asks for it.
"""

from __future__ import annotations

import datetime as _dt
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from app.gui.settings import ComparedFile

if TYPE_CHECKING:
    from app.gui.compare.link import CompareLink


def _stamp(mtime_ns: int) -> str:
    return _dt.datetime.fromtimestamp(mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M")


def _entry(path: Path) -> ComparedFile | None:
    """``path`` as the list keeps it; None when it is not a regular file."""
    try:
        info = path.stat()
    except OSError:
        return None
    return ComparedFile(str(path.resolve()), info.st_size, info.st_mtime_ns) if path.is_file() else None


class RecentModels:
    """The submenu, the list it shows, and the checks made before a remembered file loads."""

    def __init__(self, link: "CompareLink") -> None:
        self.link, self.settings = link, link.window.settings
        self.menu = QMenu("Compare With &Recent", link.window)
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self.fill)
        self._loading: ComparedFile | None = None  # the file being loaded through start()
        self.note = ""  # said when it has loaded: it changed since it was last compared with
        self.update()

    def start_folder(self) -> str:
        """Where the Compare dialog opens: the folder of the last B still there, else A's."""
        for entry in self.settings.compared_models():
            if Path(entry.path).parent.is_dir():
                return str(Path(entry.path).parent)
        weights = self.settings.weights()
        return str(Path(weights).parent) if weights else ""

    def update(self) -> None:
        self.menu.setEnabled(bool(self.settings.compared_models()))

    def fill(self) -> None:
        self.menu.clear()
        for entry in self.settings.compared_models():
            path = Path(entry.path)
            action = self.menu.addAction(f"{path.name}  \u2014  {path.parent}", partial(self.open, entry))
            action.setToolTip(entry.path)
        self.menu.addSeparator()
        self.menu.addAction("Clear This List", self.clear)

    def clear(self) -> None:
        self.settings.forget_compared_model()
        self.update()

    def open(self, entry: ComparedFile) -> None:
        """Load a remembered B, after checking that it is still the file it was."""
        path = Path(entry.path)
        now = _entry(path)
        if now is None:
            gone = "is not a file" if os.path.lexists(path) else "is no longer there"
            self.settings.forget_compared_model(entry.path)
            self.update()
            self.link.window.messages.show_message(
                f"Compare With Recent: {path.name} {gone} ({path}). It was taken off the list.", "error")
            return
        self.note = ""
        if (now.size, now.mtime_ns) != (entry.size, entry.mtime_ns):
            self.note = (f"{path.name} has changed since you last compared with it (it was saved "
                         f"{_stamp(entry.mtime_ns)}, now {_stamp(now.mtime_ns)}): B is the file as it is now.")
        self.link.start(path, remembered=True)

    def loading(self, path: Path, remembered: bool) -> None:
        """``path`` is being loaded as B (from the dialog when not ``remembered``)."""
        self._loading = _entry(Path(path))
        if not remembered:
            self.note = ""

    def loaded(self, source: str) -> str:
        """B has loaded from ``source``: it goes to the top of the list; the note to show."""
        entry = self._loading
        if entry is None or Path(source).resolve() != Path(entry.path):
            return ""  # a model given in memory, a device change, or an earlier load's answer
        self._loading = None
        self.settings.remember_compared_model(entry)
        self.update()
        note, self.note = self.note, ""
        return note

    def refused(self) -> str:
        """B did not load: the note, if the file changed since it was last compared with."""
        self._loading = None
        note, self.note = self.note, ""
        return note
