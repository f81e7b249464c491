"""The "Contribution" tab: each part's exact share of a class's logit, for a pixel or a region.

Left, the selection map: per feature cell, one part's share toward the class
predicted there; click a pixel, drag a box, or click to pick the connected region or
the whole class under the cursor. Right, the bars split the selection's logit of the
target class (default: the predicted one; the runner-up or any class one click away),
or of "target minus another class", into [features, bin 1, ..., bias]; they add up to
it exactly. Below, the per-part maps of the target class over the whole image, on one
diverging scale with a colour bar.

Here: the widgets, the capture and the answers that arrive; the layout (wide or docked)
is ``contrib_layout``'s, the target / "and not" classes and the pinned split
``contrib_targets``'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QWidget

from app.gui.inspector.contrib_layout import ContributionLayout
from app.gui.inspector.contrib_targets import NO_CLASS, SplitTargets
from app.gui.inspector.map_view import DIVERGING, MapView, robust_levels
from app.gui.inspector.part_maps import PartMapsPanel
from app.gui.inspector.split_plot import SplitPlot

if TYPE_CHECKING:
    from app.engine.ppm_analysis import PPMActivations
    from app.engine.ppm_contrib import ContributionMaps, PixelAttribution
    from app.engine.ppm_region import RegionSplit

SELECTIONS = (("pixel", "Pixel (click)"), ("box", "Box (drag)"),
              ("connected", "Connected region (click)"), ("class", "Whole class (click)"))
HINT = "Click a pixel, or drag a box\n(Select: Box), to split its logit"


class ContributionTab(ContributionLayout, SplitTargets, QWidget):
    pixelClicked = Signal(int, int)
    boxSelected = Signal(int, int, int, int)  # x0, y0, x1, y1 photo pixels, corners included
    classMapsWanted = Signal(tuple)  # the classes whose per-part maps the grid needs
    gradcamWanted = Signal(object, int)  # (Region, class): Grad-CAM of the region's class
    stageGradcamWanted = Signal(object, int)  # (Region or None, class): Grad-CAM at the backbone's stages

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maps: ContributionMaps | None = None
        self.attribution: PixelAttribution | None = None
        self.split: RegionSplit | None = None
        self.acts: PPMActivations | None = None
        self.class_names: list[str] = []
        self.pinned_text = ""  # what the pinned bars (another image's split) show

        self.selection = QComboBox()
        for key, text in SELECTIONS:
            self.selection.addItem(text, key)
        self.selection.setToolTip("What a click or drag on the map (or a click in the main view) splits")
        self.target = QComboBox()
        self.target.setToolTip("The class whose logit is split (default: the one predicted)")
        self.runner_button = QPushButton("Runner-up")
        self.runner_button.setToolTip("Split the runner-up class's logit instead")
        self.versus = QComboBox()
        self.versus.setToolTip("Why the target and not this class: the difference of the two splits")
        self.why_button = QPushButton("Why not runner-up?")
        self.why_button.setToolTip("Predicted class minus the runner-up: what decides between them")
        self.part = QComboBox()
        self.part.setToolTip("Whose share of the predicted class's logit to show, per feature cell; in brackets, "
                             "each part's mean |share| over the image as a fraction of all parts'")
        self.status = QLabel("Contribution maps are computed when this tab is opened.")
        self.status.setWordWrap(True)
        self.map_view = MapView(histogram=True)
        self.map_view.set_colormap(DIVERGING)
        self.map_view.set_opacity(0.85)
        self.plot = SplitPlot(HINT)
        self.bars = self.plot.bars
        self.readout = QLabel(HINT.replace("\n", " ") + ".")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A wrapped label under a stretching plot gets one line's height and spills over the
        # plot's axis; reserve the lines a split takes.
        self.readout.setMinimumHeight(self.readout.fontMetrics().lineSpacing() * 3 + 4)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.part_maps = PartMapsPanel()  # the lower pane: the per-part maps, below the map and bars
        self.grid, self.grid_mode, self.grid_title = self.part_maps.grid, self.part_maps.mode, self.part_maps.title

        self._arrange()

        self.part.currentIndexChanged.connect(lambda _: self._draw_map())
        self.selection.currentIndexChanged.connect(
            lambda _: self.map_view.set_box_mode(self.selection_mode() == "box"))
        self.target.currentIndexChanged.connect(lambda _: self._redraw())
        self.versus.currentIndexChanged.connect(lambda _: self._redraw())
        self.grid_mode.currentIndexChanged.connect(lambda _: self._draw_grid())
        self.part_maps.where.currentIndexChanged.connect(lambda _: self._draw_grid())
        self.runner_button.clicked.connect(self._pick_runner_up)
        self.why_button.clicked.connect(self._why_not_runner_up)
        self.map_view.clicked.connect(self.pixelClicked)
        self.map_view.boxSelected.connect(self.boxSelected)
        self.grid.clicked.connect(self.pixelClicked)
        self.part_maps.classMapsWanted.connect(self.classMapsWanted)
        self.part_maps.gradcamWanted.connect(self.gradcamWanted)
        self.part_maps.stageGradcamWanted.connect(self.stageGradcamWanted)

    # --- context ------------------------------------------------------------------------
    def set_context(self, acts: PPMActivations | None, photo: np.ndarray | None,
                    class_names: list[str]) -> None:
        self.acts, self.class_names = acts, class_names
        self.maps = self.attribution = self.split = None
        self.map_view.set_photo(photo)
        self.map_view.set_map(None, (0, 0, 1, 1))
        self.map_view.set_marker(None, None)
        self.map_view.set_region(None)
        for combo in (self.part, self.target, self.versus):
            combo.blockSignals(True)
            combo.clear()
        if acts is not None:
            for i, name in enumerate(acts.names):
                self.part.addItem(name, i)
            self.part.addItem("BN shift + classifier bias", -1)
            self.part.setCurrentIndex(1 if len(acts.names) > 1 else 0)
        self.target.addItem("predicted", NO_CLASS)
        self.versus.addItem("\u2014", NO_CLASS)
        for i, name in enumerate(class_names):
            self.target.addItem(name, i)
            self.versus.addItem(name, i)
        for combo in (self.part, self.target, self.versus):
            combo.blockSignals(False)
        self.part_maps.reset(list(acts.names) if acts is not None else [], photo)
        self.plot.clear_split()
        self.readout.setText(HINT.replace("\n", " ") + ".")

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def selection_mode(self) -> str:
        return str(self.selection.currentData())

    def set_selection_mode(self, mode: str) -> None:
        self.selection.setCurrentIndex(self.selection.findData(mode))

    # --- contribution maps (per cell, toward the predicted class) ---------------------------
    def set_maps(self, maps: ContributionMaps) -> None:
        self.maps = maps
        fractions = maps.fractions()
        # each part's mean |share| in its own entry of the map's list: no line of its own in a docked tab
        for n, fraction in enumerate(fractions):
            self.part.setItemText(n, f"{maps.names[n]}  ({fraction:.0%} of the mean |share|)")
        self.set_status("")
        self._draw_map()
        self._redraw()

    def _draw_map(self) -> None:
        if self.maps is None or self.acts is None:
            return
        index = int(self.part.currentData())
        values = self.maps.bias if index < 0 else self.maps.shares[index]
        self.map_view.set_map(values.astype(np.float32), self.acts.geometry.feature_rect(),
                              robust_levels(values, symmetric=True))

    def shown_map(self) -> np.ndarray | None:
        return self.map_view.values

    # --- a split arrives ----------------------------------------------------------------------
    def show_attribution(self, att: PixelAttribution) -> None:
        """A clicked pixel's split (every class's, from ``attribute_pixel``)."""
        from app.engine.ppm_region import split_from_pixel

        if self.acts is None:  # the capture was cleared meanwhile (the dock drops such answers)
            return
        self.attribution = att
        self.show_split(split_from_pixel(att, self.acts.geometry.image_size))

    def show_split(self, split: RegionSplit) -> None:
        self.split = split
        if self.compact:
            self.below.setCurrentWidget(self.right)  # the bars of what was just asked for
        y0, y1, x0, x1 = split.region.box
        if split.kind == "pixel":
            self.map_view.set_region(None)
            self.map_view.set_marker(x0, y0)
        else:
            self.map_view.set_marker(None, None)
            self.map_view.set_region(split.region.mask, split.region.box)
        self._redraw()

    def _redraw(self) -> None:
        self._draw_split()
        self._draw_grid()

    def _draw_grid(self) -> None:
        self.part_maps.draw(self.acts, self.split, self.target_class(), self.versus_class(), self._name)

    def set_gradcam(self, cam: Any) -> None:
        if self.part_maps.accept_gradcam(cam):  # else an answer for a class no longer asked for
            self._draw_grid()

    def set_stage_gradcam(self, cam: Any) -> None:
        if self.part_maps.accept_stage_cam(cam):  # else an answer for a class no longer asked for
            self._draw_grid()

    def set_class_maps(self, maps: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        self.part_maps.add_class_maps(maps)
        self._draw_grid()
