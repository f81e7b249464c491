"""A guard against a reference-counting bug in some PySide6 builds.

PySide6 6.12.0 on Python 3.11 drops one reference to ``True`` on every
``Signal.emit()`` made from Python, and one reference to ``None`` on every call
of a method returning void (``setText``, ``update``, ``processEvents``...), as
measured: 100 calls, refcount -100. These singletons start a process with a few
hundred to a few thousand references, so within seconds of use (a mouse move
over the view emits and calls several) the interpreter aborts with
"bool_dealloc: deallocating True or False" or "none_dealloc: deallocating None".
Python 3.12 made True/False/None immortal, so the bug is harmless there.

``protect_singletons_from_refcount_leak()`` measures the leak with a private signal
and, only when it is present, gives the affected singletons a reference count so
large (2**40) that no session can use it up, which is what 3.12 does for them.
"""

from __future__ import annotations

import ctypes
import sys

_applied = False
HEADROOM = 1 << 40


def _leaks_per_emit() -> dict[str, int]:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        plain = Signal()
        carrying = Signal(object)

    probe = _Probe()
    singletons = {"True": True, "False": False, "None": None}
    before = {name: sys.getrefcount(obj) for name, obj in singletons.items()}
    for _ in range(8):
        probe.plain.emit()
        probe.carrying.emit(None)
        probe.setObjectName("probe")  # a method returning void
    after = {name: sys.getrefcount(obj) for name, obj in singletons.items()}
    return {name: before[name] - after[name] for name in singletons if before[name] > after[name]}


def protect_singletons_from_refcount_leak() -> list[str]:
    """Apply the guard when this PySide6 build leaks; returns the names protected."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return []
    leaking = _leaks_per_emit()
    objects = {"True": True, "False": False, "None": None}
    for name in leaking:
        # ob_refcnt is the first field of every CPython object (non-debug builds).
        ctypes.c_ssize_t.from_address(id(objects[name])).value += HEADROOM
    _applied = True
    return sorted(leaking)
