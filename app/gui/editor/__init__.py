"""The label editor's widgets and wiring, thin over app.editing."""

from app.gui.editor.link import EditorLink

__all__ = ["EditorLink"]
