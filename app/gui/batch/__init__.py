"""Labelling a whole folder from the window: dialog, run, progress dock, failures, summary."""

from app.gui.batch.controller import BatchRun
from app.gui.batch.dialog import BatchDialog
from app.gui.batch.options import BatchOptions
from app.gui.batch.window_link import BatchLink

__all__ = ["BatchDialog", "BatchLink", "BatchOptions", "BatchRun"]
