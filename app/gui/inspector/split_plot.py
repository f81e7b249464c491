"""A bar chart of one exact split: each part's share plus the bias term (they add up to the total).

Before anything is split it shows a sentence saying how to get one, never empty axes.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.gui.inspector._pg import pg

POSITIVE = (214, 96, 77)
NEGATIVE = (67, 147, 195)
PINNED_ALPHA = 110  # the pinned image's bars: the same colours, paler, to the right of each part's bar
BIAS_NAME = "bias"


class SplitPlot(pg.PlotWidget):
    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="#202124")
        self.setMinimumHeight(80)
        self.showGrid(y=True, alpha=0.25)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.addItem(self.bars)
        self.pinned_bars = pg.BarGraphItem(x=[], height=[], width=0.35)
        self.addItem(self.pinned_bars)
        self.pinned_heights: np.ndarray | None = None  # shown beside the next splits (same parts, same axis)
        self.zero = pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#9aa0a6"))
        self.addItem(self.zero)
        self.hint = pg.TextItem(hint, color="#bdc1c6", anchor=(0.5, 0.5))
        self.addItem(self.hint)
        self._hint_text = hint
        self.heights = np.zeros(0)
        self.clear_split()

    def clear_split(self, hint: str | None = None) -> None:
        """No split: the axes are hidden and the hint says what to do."""
        self.heights = np.zeros(0)
        self.bars.setOpts(x=[], height=[])
        self.pinned_bars.setOpts(x=[], height=[])
        self.hint.setText(hint or self._hint_text)
        self.hint.setPos(0.5, 0.5)
        self.hint.setVisible(True)
        self.zero.setVisible(False)
        for axis in ("left", "bottom"):
            self.getPlotItem().hideAxis(axis)
        self.setXRange(0, 1, padding=0)
        self.setYRange(0, 1, padding=0)

    def show_split(self, names: list[str], shares: np.ndarray, bias: float, axis_label: str) -> None:
        values = np.append(np.asarray(shares, dtype=np.float64), bias)
        self.heights = values
        brushes = [pg.mkBrush(*(POSITIVE if v >= 0 else NEGATIVE)) for v in values]
        pinned = self.pinned_heights
        if pinned is not None and len(pinned) != len(values):
            pinned = None  # another model's parts: nothing to compare
        x = np.arange(len(values), dtype=np.float64)
        if pinned is None:
            self.bars.setOpts(x=x, height=values, width=0.7, brushes=brushes)
            self.pinned_bars.setOpts(x=[], height=[])
        else:
            self.bars.setOpts(x=x - 0.19, height=values, width=0.36, brushes=brushes)
            pale = [pg.mkBrush(*(POSITIVE if v >= 0 else NEGATIVE), PINNED_ALPHA) for v in pinned]
            self.pinned_bars.setOpts(x=x + 0.19, height=pinned, width=0.36, brushes=pale,
                                     pen=pg.mkPen("#e8eaed", style=Qt.PenStyle.DashLine))
            values = np.concatenate([values, pinned])  # the axis covers both
        self.hint.setVisible(False)
        self.zero.setVisible(True)
        item = self.getPlotItem()
        for axis in ("left", "bottom"):
            item.showAxis(axis)
        item.setLabel("left", axis_label)
        item.getAxis("bottom").setTicks([list(enumerate(list(names) + [BIAS_NAME]))])
        low, high = min(0.0, float(values.min())), max(0.0, float(values.max()))
        pad = 0.08 * max(high - low, 1e-6)
        self.setXRange(-0.6, len(self.heights) - 0.4, padding=0)
        self.setYRange(low - pad, high + pad, padding=0)
