"""A layout-less holder that sizes one child to the scroll area's viewport, never below its minimum."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QWidget


class FittedHolder(QWidget):
    """Holds the pages inside the scroll area, sized to the viewport but never below their minimum.

    With a layout, the scroll area would ask the word-wrapped labels for their preferred
    height-for-width and make the pages far taller than the window; this holder has no
    layout, so only the pages' minimum size counts.
    """

    def __init__(self, child: QWidget) -> None:
        super().__init__()
        self.child = child
        child.setParent(self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.child.minimumSizeHint()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self.child.minimumSizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.child.setGeometry(self.rect())
