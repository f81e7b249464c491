"""The "Contribution" tab: each part's exact share of the predicted class's logit.

The map shows, per feature cell, one part's share (signed, logit units) toward the
class predicted at that cell; the bar chart splits a clicked pixel's logit into
[features, bin 1, ..., BN/classifier bias] (they add up to the logit exactly).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from app.gui.inspector._pg import pg
from app.gui.inspector.map_view import DIVERGING, MapView, robust_levels

if TYPE_CHECKING:
    from app.engine.ppm_analysis import PPMActivations
    from app.engine.ppm_contrib import ContributionMaps, PixelAttribution

POSITIVE = (214, 96, 77)
NEGATIVE = (67, 147, 195)
BIAS_NAME = "bias"


class ContributionTab(QWidget):
    pixelClicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maps: ContributionMaps | None = None
        self.attribution: PixelAttribution | None = None
        self.acts: PPMActivations | None = None
        self.class_names: list[str] = []

        self.part = QComboBox()
        self.part.setToolTip("Whose share of the predicted class's logit to show, per feature cell")
        self.status = QLabel("Contribution maps are computed when this tab is opened.")
        self.status.setWordWrap(True)
        self.map_view = MapView(histogram=True)
        self.map_view.set_colormap(DIVERGING)
        self.map_view.set_opacity(0.85)
        self.plot = pg.PlotWidget(background="#202124")
        self.plot.setMinimumHeight(170)
        self.plot.showGrid(y=True, alpha=0.25)
        self.plot.setLabel("left", "share of the logit")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.plot.addItem(self.bars)
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#9aa0a6")))
        self.readout = QLabel("Click the image (here or in the main view) to split a pixel's logit.")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A wrapped label under a stretching plot gets one line's height and spills over the
        # plot's axis; reserve the three lines a pixel's split takes.
        self.readout.setMinimumHeight(self.readout.fontMetrics().lineSpacing() * 3 + 4)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        top = QHBoxLayout()
        top.addWidget(QLabel("Share of"))
        top.addWidget(self.part, 1)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.plot, 1)
        lower_layout.addWidget(self.readout)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.map_view)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self.part.currentIndexChanged.connect(lambda _: self._draw_map())
        self.map_view.clicked.connect(self.pixelClicked)

    def set_context(self, acts: PPMActivations | None, photo: np.ndarray | None,
                    class_names: list[str]) -> None:
        self.acts, self.class_names = acts, class_names
        self.maps = None
        self.attribution = None
        self.map_view.set_photo(photo)
        self.map_view.set_map(None, (0, 0, 1, 1))
        self.map_view.set_marker(None, None)
        self.part.blockSignals(True)
        self.part.clear()
        if acts is not None:
            for i, name in enumerate(acts.names):
                self.part.addItem(name, i)
            self.part.addItem("BN shift + classifier bias", -1)
            self.part.setCurrentIndex(1 if len(acts.names) > 1 else 0)
        self.part.blockSignals(False)
        self.bars.setOpts(x=[], height=[])
        self.readout.setText("Click the image (here or in the main view) to split a pixel's logit.")

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_maps(self, maps: ContributionMaps) -> None:
        self.maps = maps
        fractions = maps.fractions()
        parts = ", ".join(f"{n} {f:.0%}" for n, f in zip(maps.names, fractions))
        self.status.setText("Mean |share| of the predicted logit over the image: " + parts)
        self._draw_map()

    def _draw_map(self) -> None:
        if self.maps is None or self.acts is None:
            return
        index = int(self.part.currentData())
        values = self.maps.bias if index < 0 else self.maps.shares[index]
        self.map_view.set_map(values.astype(np.float32), self.acts.geometry.feature_rect(),
                              robust_levels(values, symmetric=True))

    def shown_map(self) -> np.ndarray | None:
        return self.map_view.values

    def show_attribution(self, att: PixelAttribution) -> None:
        self.attribution = att
        names = list(att.names) + [BIAS_NAME]
        values = np.append(att.shares, att.bias)
        brushes = [pg.mkBrush(*(POSITIVE if v >= 0 else NEGATIVE)) for v in values]
        self.bars.setOpts(x=np.arange(len(values)), height=values, width=0.7, brushes=brushes)
        self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
        self.plot.enableAutoRange()
        self.map_view.set_marker(att.x, att.y)
        cls = self._name(att.class_index)
        runner = att.runner_up
        margin = att.logit - float(att.logits[runner])
        terms = " + ".join(f"{n} {v:+.2f}" for n, v in zip(names, values))
        self.readout.setText(
            f"Pixel ({att.x}, {att.y}): <b>{cls}</b>, logit {att.logit:.3f} = {terms}"
            f" (sum {float(values.sum()):.3f}). Runner-up {self._name(runner)} by {margin:.2f}.")

    def _name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else f"class {index}"
