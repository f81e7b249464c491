"""Dock widgets around the central view: legend, folder (and later inspector, batch)."""

from app.gui.docks.folder import FolderDock
from app.gui.docks.folder_rows import ItemStatus
from app.gui.docks.legend import LegendDock

__all__ = ["FolderDock", "ItemStatus", "LegendDock"]
