"""A strip of thumbnails of a branch's most active channels; clicking one selects it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from app.engine.ppm_export import colorize, viridis_lut

THUMB = 64


def thumbnail(values: np.ndarray, lut: np.ndarray, side: int = THUMB) -> QPixmap:
    """A channel as a square-ish pixmap, each cell enlarged without smoothing."""
    lo, hi = float(values.min()), float(values.max())
    rgb = colorize(values, (lo, hi if hi > lo else lo + 1.0), lut)
    height, width = rgb.shape[:2]
    image = QImage(np.ascontiguousarray(rgb).data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy()).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.FastTransformation)


class ChannelGallery(QListWidget):
    """Thumbnails labelled "#index" with the channel's mean activation."""

    channelChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setSpacing(4)
        self.setFixedHeight(THUMB + 48)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setToolTip("The branch's most active channels (highest mean activation); click one to show it")
        self.itemClicked.connect(self._clicked)
        self._lut = viridis_lut()

    def set_channels(self, channels: list[tuple[int, float, np.ndarray]]) -> None:
        """(index, score, map) triples, most active first."""
        self.clear()
        for index, score, values in channels:
            item = QListWidgetItem(QIcon(thumbnail(values, self._lut)), f"#{index}\n{score:.3g}")
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(f"channel {index}: mean activation {score:.4g}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)

    def channel_at(self, row: int) -> int:
        return int(self.item(row).data(Qt.ItemDataRole.UserRole))

    def _clicked(self, item: QListWidgetItem) -> None:
        self.channelChosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))
