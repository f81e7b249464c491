"""The Contribution tab's lower pane: each part's map of the target class over the whole image.

Exact shares (they add up to the logit: the head's conv split by part, asked for per
class through ``classMapsWanted``), or, for comparison, Grad-CAM over the selection
(``gradcamWanted``; an approximation, and labelled so). The tab says what to draw
(``draw``); the answers it receives are handed in with ``add_class_maps`` and
``accept_gradcam``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.gui.inspector.branch_grid import BranchGrid

if TYPE_CHECKING:
    from app.engine.ppm_analysis import PPMActivations
    from app.engine.ppm_region import RegionSplit

GRID_MODES = (("exact", "exact share (adds up to the logit)"),
              ("gradcam", "Grad-CAM, signed (approximation)"),
              ("gradcam_relu", "Grad-CAM, ReLU (approximation)"))


class PartMapsPanel(QWidget):
    classMapsWanted = Signal(tuple)  # the classes whose per-part maps the grid needs
    gradcamWanted = Signal(object, int)  # (Region, class): Grad-CAM of the region's class

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_maps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._asked: tuple = ()
        self.gradcam: Any = None  # GradCAM of (region, class) last computed
        self._gradcam_key: tuple | None = None
        self.title = QLabel("Per-part share of the target class over the image")
        self.title.setWordWrap(True)
        self.mode = QComboBox()
        for key, text in GRID_MODES:
            self.mode.addItem(text, key)
        self.mode.setToolTip("Grad-CAM (pytorch-grad-cam's SemanticSegmentationTarget over the selection) "
                             "for comparison: it uses the mean gradient per channel, so it is not exact")
        self.grid = BranchGrid()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        mode_row = QHBoxLayout()
        mode_row.addWidget(QLabel("Per-part maps:"))
        mode_row.addWidget(self.mode)
        mode_row.addStretch(1)
        layout.addLayout(mode_row)
        layout.addWidget(self.title)
        layout.addWidget(self.grid, 1)

    def reset(self, parts: list[str], photo: np.ndarray | None) -> None:
        """A new capture: no class maps nor Grad-CAM yet, one panel per part over ``photo``."""
        self.class_maps, self._asked = {}, ()
        self.gradcam, self._gradcam_key = None, None
        self.grid.set_parts(parts, photo)

    def add_class_maps(self, maps: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        self.class_maps.update(maps)
        self._asked = ()

    def accept_gradcam(self, cam: Any) -> bool:
        """Keep ``cam`` if it answers the class last asked for (False: an outdated answer)."""
        if self._gradcam_key is None or cam.class_index != self._gradcam_key[2]:
            return False
        self.gradcam = cam
        return True

    def draw(self, acts: PPMActivations | None, split: RegionSplit | None, target: int | None,
             versus: int | None, name: Callable[[int], str]) -> None:
        """Show ``target``'s maps (minus ``versus``'s), asking for what is missing first."""
        if target is None or acts is None:
            return
        if self.mode.currentData() != "exact":
            self._draw_gradcam(acts, split, target, name)
            return
        wanted = (target,) if versus is None else (target, versus)
        missing = tuple(c for c in wanted if c not in self.class_maps)
        if missing:
            if missing != self._asked:
                self._asked = missing
                self.classMapsWanted.emit(missing)
            return
        shares, bias = self.class_maps[target]
        title = f"share of {name(target)}"
        if versus is not None:
            other_shares, other_bias = self.class_maps[versus]
            shares, bias = shares - other_shares, bias - other_bias
            title = f"share of {name(target)} \u2212 {name(versus)}"
        self.grid.set_maps(shares, bias, acts.geometry.feature_rect(), title)
        self.title.setText(f"Per-part {title} over the image, per feature cell (logit units; "
                           "red raises it, blue lowers it)")

    def _draw_gradcam(self, acts: PPMActivations, split: RegionSplit | None, target: int,
                      name: Callable[[int], str]) -> None:
        from app.engine.ppm_region import box_region

        height, width = acts.geometry.image_size
        region = split.region if split is not None else box_region((height, width), 0, 0, width - 1, height - 1)
        if region is None:  # an empty image: no pixel to explain
            return
        key = (region.box, region.pixels, target)
        if self._gradcam_key != key or self.gradcam is None:
            if self._gradcam_key != key:
                self._gradcam_key = key
                self.gradcam = None
                self.title.setText("Computing Grad-CAM…")
                self.gradcamWanted.emit(region, target)
            return
        relu = self.mode.currentData() == "gradcam_relu"
        maps = self.gradcam.relu if relu else self.gradcam.signed
        where = "the selection" if split is not None else "the whole image"
        self.grid.set_maps(maps, None, acts.geometry.feature_rect(),
                           f"Grad-CAM of {name(target)}{', ReLU' if relu else ''}")
        self.title.setText(
            f"APPROXIMATION — Grad-CAM of {name(target)} summed over {where}"
            f"{' (ReLU)' if relu else ''}: channel weights are the mean gradient, so these maps do not add up "
            "to the logit (the exact split is above; gradient × input per part equals it).")
