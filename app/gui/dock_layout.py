"""The docks' default arrangement, before the last session's layout is put back.

The right column holds the legend, the confidence threshold panel and (once opened) the
inspector. Stacked one above the other at 1400x880 or 1440x900 each got ~200-400 px: the
threshold's class list showed two rows and the inspector's map scrolled. So the threshold
panel, used while reviewing rather than all the time, shares the legend's place as a tab,
and the inspector under them gets most of the column (InspectorLink._give_room).

This is only the default: the window's restoreState runs afterwards, so a user who has
dragged the docks elsewhere gets their own arrangement back.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow


def tabify_behind(window: QMainWindow, front: QDockWidget, *behind: QDockWidget) -> None:
    """``behind`` as tabs of ``front``'s place, ``front`` the tab shown."""
    for dock in behind:
        window.tabifyDockWidget(front, dock)
    front.raise_()


def raise_when_shown(dock: QDockWidget) -> None:
    """Its toggle action, when it shows the dock, also makes it the current tab (a tab
    that opened hidden behind another would look as if the action did nothing)."""
    # after the event loop's turn: raised at once, the tab it is about to become does not exist yet
    dock.toggleViewAction().toggled.connect(lambda on: QTimer.singleShot(0, dock, dock.raise_) if on else None)
