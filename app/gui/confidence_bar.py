"""The colour bar of the confidence view: which colour means which confidence.

The confidence map colours each pixel by the model's top softmax probability with the
view's own lookup table (``view_pane.confidence_lut``) over fixed levels 0-1, so the bar
draws that same table with its values, 0 % to 100 %. It sits under the image and is
shown while the confidence view is on.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
CAPTION = "Confidence (top class probability)"
MARGIN = 12  # px left and right of the bar, so the end labels fit
BAR_HEIGHT = 12


class ConfidenceBar(QWidget):
    def __init__(self, lut: np.ndarray, parent: QWidget | None = None) -> None:
        """``lut``: (N, 3) uint8 colours from confidence 0 to 1, as the view draws them."""
        super().__init__(parent)
        self.setObjectName("confidenceBar")
        colours = np.ascontiguousarray(np.asarray(lut, dtype=np.uint8)[None, :, :3])
        self._gradient = QImage(colours.data, colours.shape[1], 1, colours.shape[1] * 3,
                                QImage.Format.Format_RGB888).copy()  # owns its pixels
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("How sure the model is of each pixel's class: the highest softmax "
                        "probability, drawn with these colours over the photo")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        line = self.fontMetrics().height()
        return QSize(360, BAR_HEIGHT + 2 * line + 10)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(160, self.sizeHint().height())

    def bar_rect(self) -> QRectF:
        """Where the colours are drawn: the caption above, the values below."""
        line = self.fontMetrics().height()
        return QRectF(MARGIN, line + 4, max(1, self.width() - 2 * MARGIN), BAR_HEIGHT)

    def tick_x(self, value: float) -> float:
        bar = self.bar_rect()
        return bar.left() + value * bar.width()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        metrics = painter.fontMetrics()
        bar = self.bar_rect()
        painter.setPen(self.palette().windowText().color())
        painter.drawText(QRectF(0, 1, self.width(), metrics.height()), Qt.AlignmentFlag.AlignHCenter, CAPTION)
        painter.drawImage(bar, self._gradient)
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(bar.adjusted(-0.5, -0.5, 0.5, 0.5))
        painter.setPen(self.palette().windowText().color())
        for value in TICKS:
            x = self.tick_x(value)
            painter.drawLine(int(round(x)), int(bar.bottom()), int(round(x)), int(bar.bottom()) + 3)
            text = f"{value * 100:.0f} %"
            width = metrics.horizontalAdvance(text)
            left = min(max(0.0, x - width / 2), self.width() - width)
            painter.drawText(QRectF(left, bar.bottom() + 4, width, metrics.height()),
                             Qt.AlignmentFlag.AlignLeft, text)
        painter.end()
