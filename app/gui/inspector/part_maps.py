"""The Contribution tab's lower pane: each part's map of the target class over the whole image.

Exact shares (they add up to the logit: the head's conv split by part, asked for per
class through ``classMapsWanted``), or, for comparison, Grad-CAM over the selection
(an approximation, and labelled so), *at* the PPM (its input features and branches,
``gradcamWanted``) or at the backbone's stem and stages layer1..layer4 (``stageGradcamWanted``:
where the evidence forms before the PPM). The tab says what to draw (``draw``); the
answers it receives are handed in with ``add_class_maps``, ``accept_gradcam`` and
``accept_stage_cam``.
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
GRADCAM_AT = (("ppm", "the PPM (features, bins)"), ("stem", "backbone stem (layer0)"),
              ("layer1", "backbone layer1"), ("layer2", "backbone layer2"), ("layer3", "backbone layer3"),
              ("layer4", "backbone layer4"), ("stages", "all stages"))  # the panels are titled stem, layer1..layer4


class PartMapsPanel(QWidget):
    classMapsWanted = Signal(tuple)  # the classes whose per-part maps the grid needs
    gradcamWanted = Signal(object, int)  # (Region, class): Grad-CAM of the region's class
    stageGradcamWanted = Signal(object, int)  # (Region or None: the class's predicted pixels, class)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_maps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._asked: tuple = ()
        self.gradcam: Any = None  # GradCAM of (region, class) last computed
        self._gradcam_key: tuple | None = None
        self.stage_cam: Any = None  # StageGradCAM of (region, class) last computed
        self._stage_key: tuple | None = None
        self._parts: list[str] = []
        self._photo: np.ndarray | None = None
        self._grid_names: list[str] = []
        self.title = QLabel("Per-part share of the target class over the image")
        self.title.setWordWrap(True)
        self.mode = QComboBox()
        for key, text in GRID_MODES:
            self.mode.addItem(text, key)
        self.mode.setToolTip("Grad-CAM (pytorch-grad-cam's SemanticSegmentationTarget over the selection) "
                             "for comparison: it uses the mean gradient per channel, so it is not exact")
        self.where = QComboBox()
        for key, text in GRADCAM_AT:
            self.where.addItem(text, key)
        self.where.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.where.setMinimumContentsLength(14)  # the docked column is narrow; the popup shows the whole text
        self.where.setToolTip("Where Grad-CAM is taken: the PPM's input and branches, or a stage of the backbone "
                              "(before a selection: over the pixels predicted as the class)")
        self.where.setEnabled(False)
        self.mode.currentIndexChanged.connect(lambda _: self.where.setEnabled(self.mode.currentData() != "exact"))
        self.grid = BranchGrid()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        mode_row = QHBoxLayout()
        mode_row.addWidget(QLabel("Per-part maps:"))
        mode_row.addWidget(self.mode)
        mode_row.addWidget(QLabel("at"))
        mode_row.addWidget(self.where)
        mode_row.addStretch(1)
        layout.addLayout(mode_row)
        layout.addWidget(self.title)
        layout.addWidget(self.grid, 1)

    def reset(self, parts: list[str], photo: np.ndarray | None) -> None:
        """A new capture: no class maps nor Grad-CAM yet, one panel per part over ``photo``."""
        self.class_maps, self._asked = {}, ()
        self.gradcam, self._gradcam_key = None, None
        self.stage_cam, self._stage_key = None, None
        self._parts, self._photo = list(parts), photo
        self._show_panels(self._parts, with_bias=True)

    def _show_panels(self, names: list[str], with_bias: bool, sequential: bool = False) -> None:
        """One panel per name (plus the bias's), rebuilt only when the names (or the colour map) change.

        ``sequential``: a map whose low end is transparent (ReLU'd Grad-CAM), else the diverging one.
        """
        wanted = [*names, "bias" if with_bias else "", "sequential" if sequential else ""]
        if wanted != self._grid_names:
            self._grid_names = wanted
            if with_bias:
                self.grid.set_parts(names, self._photo)
            elif sequential:
                from app.gui.inspector.erf_tab import fading_colormap  # (erf_tab imports this module)

                self.grid.set_parts(names, self._photo, extra=None, cmap_name=fading_colormap(),
                                    bar_label="fraction of each stage's maximum")
            else:
                self.grid.set_parts(names, self._photo, extra=None)

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
        if self.mode.currentData() != "exact" and self.where.currentData() != "ppm":
            self._draw_stage_gradcam(acts, split, target, name)
            return
        self._show_panels(self._parts, with_bias=True)
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

    # --- Grad-CAM at the backbone's stages --------------------------------------------------
    def accept_stage_cam(self, cam: Any) -> bool:
        """Keep ``cam`` if it answers the class last asked for (False: an outdated answer)."""
        if self._stage_key is None or cam.class_index != self._stage_key[-1]:
            return False
        self.stage_cam = cam
        return True

    def set_failed(self, message: str) -> None:
        self.title.setText(f"Could not compute Grad-CAM: {message}")

    def _draw_stage_gradcam(self, acts: PPMActivations, split: RegionSplit | None, target: int,
                            name: Callable[[int], str]) -> None:
        from app.engine.ppm_stage_gradcam import STAGES

        region = split.region if split is not None else None
        key = ("predicted" if region is None else (region.box, region.pixels), target)
        if self._stage_key != key or self.stage_cam is None:
            if self._stage_key != key:
                self._stage_key, self.stage_cam = key, None
                self.title.setText("Computing Grad-CAM at the backbone's stages\u2026 (one backbone pass)")
                self.stageGradcamWanted.emit(region, target)
            return
        cam, where = self.stage_cam, str(self.where.currentData())
        chosen = list(STAGES) if where == "stages" else [where]
        rows = [cam.stages.index(s) for s in chosen]
        relu = self.mode.currentData() == "gradcam_relu"
        maps = stage_scaled((cam.relu if relu else cam.signed)[rows])
        self._show_panels(chosen, with_bias=False, sequential=relu)
        height, width = acts.geometry.image_size
        levels = self.grid.set_maps(maps, None, (0.0, 0.0, float(width), float(height)),
                                    "fraction of each stage's maximum", symmetric=not relu)
        if relu and self.grid.colorbar is not None:  # each map to its own maximum: 0..1 on every panel
            levels = (0.0, 1.0)
        if self.grid.colorbar is not None:
            self.grid.colorbar.setLevels(levels if relu else (-1.0, 1.0))
            for image in self.grid.images:
                image.setLevels(levels if relu else (-1.0, 1.0))
        over = (f"the selection ({cam.pixel_count} px)" if region is not None
                else f"the {cam.pixel_count} px predicted as {name(target)}")
        text = (f"APPROXIMATION \u2014 Grad-CAM of {name(target)} at {', '.join(chosen)}, summed over {over}"
                f"{' (ReLU)' if relu else ''}: channel weights are the mean gradient of each stage's output; "
                "upsampled to the network input; each stage to its own maximum (their scales differ).")
        self.title.setText(f"{cam.message}. {text}" if cam.message else text)


def stage_scaled(maps: np.ndarray) -> np.ndarray:
    """(S, h, w) maps as drawn: each divided by its own largest |value| (an all-zero map stays zero)."""
    tops = np.abs(maps).reshape(len(maps), -1).max(1)
    return (maps / np.where(tops > 0, tops, 1.0)[:, None, None]).astype(np.float32)
