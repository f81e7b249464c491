"""Room for the status bar's passing messages ("Loaded ... on cpu", "ONNX graph built ...").

QStatusBar draws a passing message left of its first permanent widget, in whatever width
the permanent widgets leave. With the model chip, the pixel read-out, device, backend and
an ONNX build all shown, a 1400 px window left none: messages were not drawn at all. The
chip is the one permanent widget that can give way (a QToolButton elides its text when it
is narrower than it wants; its tooltip has the whole text), so its maximum width is kept
at what the others leave minus the width of ``TYPICAL_MESSAGE``, and never under ``CHIP_MIN_PX``.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QStatusBar, QWidget

# The room kept: this message whole, in the bar's own font (so it follows the screen's DPI).
TYPICAL_MESSAGE = "Loaded PSPNet Studio scenes (resnet18, width 16) on cuda:0"
CHIP_MIN_PX = 160  # still reads "Model: NAME…": the chip says what it is
MESSAGE_MARGINS_PX = 8  # the message starts 6 px in and stops 2 px before the chip


class MessageRoom(QObject):
    """Caps ``chip`` so the bar keeps room for a typical message when it can."""

    def __init__(self, bar: QStatusBar, chip: QWidget) -> None:
        super().__init__(bar)
        self.chip = chip
        self.room_px = bar.fontMetrics().horizontalAdvance(TYPICAL_MESSAGE)
        chip.installEventFilter(self)
        self.update()

    def chip_width_allowed(self) -> int:
        # From where the layout put the chip: the message is drawn from x = 6 to the chip's
        # left edge - 2 (QStatusBarPrivate::messageRect). A narrower chip moves right by as
        # much, so this settles in one more layout pass.
        room = self.chip.x() - MESSAGE_MARGINS_PX
        return max(CHIP_MIN_PX, self.chip.width() + room - self.room_px)

    def update(self) -> None:
        allowed = self.chip_width_allowed()
        if self.chip.maximumWidth() != allowed:  # setting it lays the bar out again: no loop when equal
            self.chip.setMaximumWidth(allowed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # The chip moves or resizes after every layout of the bar (a widget shown or hidden,
        # a label's text, the window's width): its geometry is then current.
        if watched is self.chip and event.type() in (QEvent.Type.Move, QEvent.Type.Resize):
            self.update()
        return False
