"""Editing label maps without Qt: tools, undo as changed regions, saving, recovery."""

from app.editing.label_map_edit import IGNORE, LabelMapEdit
from app.editing.undo import EditHistory

__all__ = ["IGNORE", "EditHistory", "LabelMapEdit"]
