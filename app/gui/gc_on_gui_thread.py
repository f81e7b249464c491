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
collects the way Python would: a generation when its count passes the same threshold, and
the oldest one under Python's own extra condition too (CPython's gcmodule: only when the
objects that survived into it since its last pass are over a quarter of those it held
then), and at most every ``FULL_EVERY_S``. The condition matters: a full pass over the
window's objects (torch, Qt, pyqtgraph: about 385 000) holds the GUI thread for about
200 ms on the development machine, so without it one came every half minute of use. The
survivors are counted as Python counts them: the young objects a middle collection looked
at, less what it found unreachable.
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
        self.long_lived: int | None = None  # objects in the oldest generation after its last pass
        self.pending = 0  # objects moved into it since
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
        elif old <= third or not self._full_pass_due():
            looked_at = len(gc.get_objects(0)) + len(gc.get_objects(1))  # the young: a few thousand
            self.pending += max(0, looked_at - gc.collect(1))
        else:
            gc.collect(2)
            self._last_full = time.monotonic()
            self.long_lived, self.pending = len(gc.get_objects(2)), 0

    def _full_pass_due(self) -> bool:
        if time.monotonic() - self._last_full < FULL_EVERY_S:
            return False
        if self.long_lived is None:  # counted once (tens of ms), the first time it is asked
            self.long_lived = len(gc.get_objects(2))
        return self.pending > self.long_lived // 4


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
