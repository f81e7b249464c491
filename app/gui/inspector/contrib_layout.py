"""How the Contribution tab lays itself out: wide (side by side) or narrow (docked, stacked).

Mixed into ``ContributionTab``. Wide: the selection map and the bars share the upper
half, the per-part maps fill the lower one. Narrow (the docked inspector beside the
image): the map takes the full width, the bars and the per-part maps share the space
below it as two tabs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QComboBox, QPushButton

    from app.gui.inspector.map_view import MapView
    from app.gui.inspector.part_maps import PartMapsPanel
    from app.gui.inspector.split_plot import SplitPlot

COMPACT_WIDTH = 900  # narrower than this (the docked inspector), the bars go below the map


class ContributionLayout:
    """Mixed into ``ContributionTab`` (a QWidget): arranges its widgets, and rearranges them
    when its width crosses ``COMPACT_WIDTH``."""

    if TYPE_CHECKING:  # what this uses of the tab, for the type checker only
        selection: QComboBox
        target: QComboBox
        versus: QComboBox
        part: QComboBox
        runner_button: QPushButton
        why_button: QPushButton
        status: QLabel
        map_view: MapView
        plot: SplitPlot
        readout: QLabel
        part_maps: PartMapsPanel

        def width(self) -> int: ...

    def _arrange(self) -> None:
        """Build the tab's layout from its widgets (wide; ``set_compact`` narrows it)."""
        # two short rows, so that the docked inspector fits a 1400x880 window's side column
        controls = QVBoxLayout()
        for row_widgets in ((QLabel("Select"), self.selection, QLabel("Target"), self.target),
                            (self.runner_button, QLabel("and not"), self.versus, self.why_button)):
            row = QHBoxLayout()
            for widget in row_widgets:
                row.addWidget(widget)
            row.addStretch(1)
            controls.addLayout(row)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        share_row = QHBoxLayout()
        share_row.addWidget(QLabel("Map: share of"))
        share_row.addWidget(self.part, 1)
        left_layout.addLayout(share_row)
        left_layout.addWidget(self.map_view, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.plot, 1)
        right_layout.addWidget(self.readout)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(left)
        upper.addWidget(right)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        self.upper, self.right = upper, right
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.part_maps)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        # narrow (docked beside the image): the map takes the full width, the bars and the
        # per-part maps share the space below it as two tabs
        self.below = QTabWidget()
        self.below.setDocumentMode(True)
        self.below.hide()
        self.compact = False
        layout = QVBoxLayout(self)  # type: ignore[call-overload]  # mixed into a QWidget
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.splitter, 1)

    def balance(self) -> None:
        """Share the height between the selection map and bars (upper) and the per-part maps."""
        height = self.splitter.height()
        if height > 200:
            share = 0.62 if self.compact else 0.58  # compact: the map above, a short tab of bars below
            self.splitter.setSizes([int(height * share), height - int(height * share)])

    def set_compact(self, on: bool) -> None:
        """Narrow: map on top at full width, bars and per-part maps as tabs below; wide: side by side."""
        if on == self.compact:
            return
        self.compact = on
        self.map_view.set_histogram_visible(not on)  # narrow: the map's width matters more (levels stay symmetric)
        lines = 2 if on else 3
        self.readout.setMinimumHeight(self.readout.fontMetrics().lineSpacing() * lines + 4)
        if on:
            self.below.addTab(self.right, "Split of the selection")
            self.below.addTab(self.part_maps, "Per-part maps")
            self.splitter.addWidget(self.below)
            self.below.show()
        else:
            self.below.clear()  # the pages stay alive; they move back below
            self.upper.addWidget(self.right)
            self.splitter.addWidget(self.part_maps)
            self.below.hide()
            self.below.setParent(None)  # out of the splitter, kept for the next narrowing
            self.right.show()
            self.part_maps.show()
        self.balance()

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)  # type: ignore[misc]  # QWidget's, next in the tab's MRO
        self.set_compact(self.width() < COMPACT_WIDTH)

    def showEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().showEvent(event)  # type: ignore[misc]
        self.balance()
