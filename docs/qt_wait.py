"""Waiting on a live window in the screenshot scripts: run Qt's event loop until a condition
holds, or for a while so that paints and layouts finish. No side effects on import (the
scripts choose their own Qt platform)."""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication


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
