"""Python's cycle collector, run on the GUI thread only while the window's threads run.

Python collects reference cycles in whichever thread allocates when a generation's count
crosses its threshold. When that is the inference worker (or a pool thread) and the garbage
holds Qt objects (a widget whose signal connection sits in a cycle), PySide disconnects it
from that thread: it takes Qt's connection lock, then waits for the GIL, while the GUI
thread holds the GIL and waits for that same lock in ``QObject::connect``. Both wait for
good. Seen as a test run that hung until CI's limit: gdb showed the worker in
``gc_collect_main -> handle_weakrefs -> QObject::disconnect -> GilState::acquire`` and the
GUI thread in ``QMenu::actionEvent -> QObject::connect -> QBasicMutex::lockInternal``; also
as a segfault in a collection of another thread's Qt objects.

So while this is installed, automatic collection is off and a timer on the GUI thread
collects the way Python would: a generation when its count passes the same threshold,
the oldest one at most every ``FULL_EVERY_S`` (a full pass over a torch process's objects
takes tens of milliseconds, which Python's own rule makes rare too).
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QCoreApplication, QObject, QTimer

CHECK_MS = 200
FULL_EVERY_S = 30.0

_installed: "GuiThreadCollector | None" = None


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self._last_full = time.monotonic()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        young, middle, old = gc.get_count()
        first, second, third = self.thresholds
        if young <= first:
            return
        if middle <= second:
            gc.collect(0)
        elif old <= third or time.monotonic() - self._last_full < FULL_EVERY_S:
            gc.collect(1)
        else:
            gc.collect(2)
            self._last_full = time.monotonic()


def install() -> bool:
    """Collect on the GUI thread from now on (call it from the GUI thread); False without a
    QCoreApplication, where there is no GUI thread to move the collections to."""
    global _installed
    app = QCoreApplication.instance()
    if _installed is not None:
        return True
    if app is None:
        return False
    _installed = GuiThreadCollector(app)
    gc.disable()
    return True


def uninstall() -> None:
    """Back to Python's own collector (the tests' GUI modules end with this)."""
    global _installed
    if _installed is not None:
        _installed.timer.stop()
        _installed.deleteLater()
        _installed = None
    gc.enable()
    gc.collect()


def installed() -> bool:
    return _installed is not None and not gc.isenabled()
