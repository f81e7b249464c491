"""The screenshot scripts' shared set-up and waiting: start the main window the same way in
every script (settings in a temporary folder, a fixed size at the screen's corner, the model
loaded and the first result shown), and run Qt's event loop until a condition holds, or for
a while so that paints and layouts finish. No side effects on import (the scripts choose
their own Qt platform before they call anything here)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication

_app: QApplication | None = None  # kept alive for the windows
_settings_dir: str | None = None


def wait_for(condition: Callable[[], object], timeout_s: float = 300) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def settle(ms: int = 400) -> None:
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def application() -> QApplication:
    """The QApplication, made once, named and with pyqtgraph set up as main.py sets them up
    (the folders a dialog shows are a user's), but with settings in a temporary folder: every
    script starts from the default window layout, and the user's own settings are neither
    read nor changed. A second call (a script that opens a second window) keeps the same
    settings, so that window sees what the first one saved."""
    global _app, _settings_dir
    if _settings_dir is None:
        _settings_dir = tempfile.mkdtemp(prefix="screenshot-settings-")
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, _settings_dir)
    if _app is None:
        os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")  # PySide6 is imported (above)
        from app.gui.launch import import_pyqtgraph
        from app.gui.pyside_fixes import protect_singletons_from_refcount_leak

        protect_singletons_from_refcount_leak()  # PySide6 6.12.0 refcount bug, see docs/inspector.md
        import_pyqtgraph().setConfigOptions(imageAxisOrder="row-major", antialias=True)
        existing = QApplication.instance()
        _app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
        from app.gui.settings import APPLICATION, ORGANIZATION

        _app.setOrganizationName(ORGANIZATION)
        _app.setApplicationName(APPLICATION)
    return _app


def start_window(weights: str | Path | None, target: str | Path | None = None,
                 size: tuple[int, int] = (1440, 900), timeout_s: float = 600, settle_ms: int = 1500):  # noqa: ANN201
    """A main window of ``size`` (width, height) at the screen's top left, started with
    ``weights``; waits until the model is loaded and, with a ``target`` (an image or a
    folder), until its first result is on screen, then lets thumbnails and layouts settle.
    Returns the window and the list of every ``resultShown`` item so far (it keeps growing)."""
    from app.gui.main_window import MainWindow

    application()
    window = MainWindow()
    window.resize(*size)
    window.move(0, 0)
    window.show()
    shown: list[object] = []
    window.viewer.resultShown.connect(shown.append)
    window.start(weights, target)
    wait_for(lambda: window.viewer.model is not None and (target is None or bool(shown)), timeout_s)
    settle(settle_ms)
    return window, shown
