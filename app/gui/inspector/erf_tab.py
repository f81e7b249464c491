"""The "Receptive field" tab: where in the photo a pixel's or a region's logit looks, per path.

For a clicked pixel (here or in the main view), the magnitude of the gradient of its
logit with respect to the network's input (``app.engine.ppm_erf``): through the whole
network, and through each part of the head's input alone (the features straight from
the backbone, and each pooled branch). The paths' signed gradients add up to the full
one. Each panel outlines its path's *analytic* receptive field (dashed): the gradient
is exactly zero outside it. *Select* picks, as in the Contribution tab, a pixel, a
dragged box, the connected region or the whole class under a click: a region's field is
the gradient of the class's logit summed over it (``app.engine.ppm_region_erf``), and its
analytic field the union of its pixels' boxes (outlined as that shape). The gradient is
computed on the worker (one backbone backward pass per path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.gui.inspector._pg import pg
from app.gui.inspector.branch_grid import BranchGrid
from app.gui.inspector.contrib_tab import SELECTIONS
from app.gui.inspector.map_view import colormap
from app.gui.inspector.mask_outline import mask_path, region_mask_path

if TYPE_CHECKING:
    from app.editing.tools import Region
    from app.engine.ppm_erf import ReceptiveField
    from app.engine.ppm_region_erf import RegionReceptiveField

HINT = ("Click a pixel (here or in the main view; or drag a box, Select: Box) to see which input pixels "
        "its logit depends on: the gradient's magnitude through the whole network and through each path alone.")
FULL = "full network"
SCALES = (("own", "own maximum"), ("sqrt", "own maximum, \u221a"), ("shared", "one scale"))
NO_CLASS = -1
SEQUENTIAL_MAP = "inferno"


def fading_colormap(name: str = SEQUENTIAL_MAP, fade: float = 0.2) -> pg.ColorMap:
    """A sequential map whose low end is transparent: the photo shows where the gradient is ~0."""
    cmap = colormap(name)
    pos, colors = cmap.getStops(mode="byte")
    colors = np.array(colors, dtype=np.uint8)
    colors[:, 3] = np.round(np.clip(np.asarray(pos) / fade, 0.0, 1.0) * 255).astype(np.uint8)
    return pg.ColorMap(pos, colors)


def scaled_maps(magnitudes: np.ndarray, mode: str) -> np.ndarray:
    """(N, h, w) maps as drawn: each to its own 99.9th percentile (optionally square-rooted), or raw."""
    if mode == "shared":
        return magnitudes
    out = np.empty_like(magnitudes)
    for n, values in enumerate(magnitudes):
        reached = values[values > 0]
        top = float(np.percentile(reached, 99.9)) if reached.size else 1.0
        out[n] = np.clip(values / (top or 1.0), 0.0, 1.0)
    return np.sqrt(out) if mode == "sqrt" else out


class ReceptiveFieldTab(QWidget):
    fieldWanted = Signal(int, int, int)  # photo pixel and class (NO_CLASS: the predicted one)
    regionWanted = Signal(object, str, int)  # (Region, kind, class): a region's summed logit
    pixelClicked = Signal(int, int)
    boxSelected = Signal(int, int, int, int)  # x0, y0, x1, y1 photo pixels, corners included

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field: ReceptiveField | RegionReceptiveField | None = None
        self.pixel: tuple[int, int] | None = None
        self.region: tuple[Region, str] | None = None  # the region asked for, and its kind
        self.class_names: list[str] = []
        self._names: list[str] = []
        self._photo_size: tuple[int, int] | None = None
        self._input_size: tuple[int, int] | None = None
        self._asked: tuple | None = None  # (x, y, class) or (region key, class)

        self.selection = QComboBox()
        for key, text in SELECTIONS:
            self.selection.addItem(text, key)
        # narrow (the docked column is ~560 px): the popup still shows the whole text
        self.selection.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.selection.setMinimumContentsLength(16)
        self.selection.setToolTip("What a click or drag on the panels (or a click in the main view) asks for: "
                                  "a region's field is that of the class's logit summed over its pixels")
        self.target = QComboBox()
        self.target.setToolTip("The class whose logit is differentiated (default: the one predicted there)")
        self.scale = QComboBox()
        for key, text in SCALES:
            self.scale.addItem(text, key)
        self.scale.setToolTip("Each map to its own maximum shows every path's shape (the square root shows the "
                              "faint far reach); one scale for all maps compares their strengths")
        self.bounds_box = QCheckBox("Analytic field")
        self.bounds_box.setChecked(True)
        self.bounds_box.setToolTip("Outline the box outside which each path's gradient is exactly zero")
        self.readout = QLabel(HINT)
        self.readout.setWordWrap(True)
        self.readout.setMinimumHeight(self.readout.fontMetrics().lineSpacing() * 3 + 4)
        self.grid = BranchGrid()

        layout = QVBoxLayout(self)
        # two short rows, so that the docked inspector fits a 1400x880 window's side column
        for widgets in ((QLabel("Select"), self.selection, QLabel("Class"), self.target),
                        (QLabel("Scale"), self.scale, self.bounds_box)):
            row = QHBoxLayout()
            for widget in widgets:
                row.addWidget(widget)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addWidget(self.readout)
        layout.addWidget(self.grid, 1)

        self.target.currentIndexChanged.connect(lambda _: self._ask_again())
        self.scale.currentIndexChanged.connect(lambda _: self._draw())
        self.bounds_box.toggled.connect(lambda _: self._draw_outlines())
        self.grid.clicked.connect(self.pixelClicked)
        self.grid.boxSelected.connect(self.boxSelected)
        self.selection.currentIndexChanged.connect(lambda _: self.grid.set_box_mode(self.selection_mode() == "box"))

    # --- context ------------------------------------------------------------------------
    def set_context(self, names: list[str], photo: np.ndarray | None, input_size: tuple[int, int] | None,
                    class_names: list[str]) -> None:
        """A new image (or none): empty panels over the photo, the hint, the class list."""
        self.field, self.pixel, self.region, self._asked = None, None, None, None
        self._names = [FULL, *names] if names else []
        self._photo_size = None if photo is None else (int(photo.shape[0]), int(photo.shape[1]))
        self._input_size = input_size
        self.class_names = list(class_names)
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItem("predicted", NO_CLASS)
        for i, name in enumerate(class_names):
            self.target.addItem(name, i)
        self.target.blockSignals(False)
        self.grid.set_parts(self._names, photo, extra=None, cmap_name=fading_colormap(),
                            bar_label="|d logit / d input|")
        self.grid.set_box_mode(self.selection_mode() == "box")
        self.readout.setText(HINT)

    def selection_mode(self) -> str:
        return str(self.selection.currentData())

    def set_selection_mode(self, mode: str) -> None:
        self.selection.setCurrentIndex(self.selection.findData(mode))

    def target_class(self) -> int:
        return int(self.target.currentData()) if self.target.count() else NO_CLASS

    def set_target(self, class_index: int | None) -> None:
        self.target.setCurrentIndex(self.target.findData(NO_CLASS if class_index is None else class_index))

    # --- requests and answers ---------------------------------------------------------------
    def request(self, x: int, y: int) -> None:
        """Ask for pixel (x, y)'s field (the dock runs the job and calls ``set_field``)."""
        if self._photo_size is None:
            return
        self.pixel, self.region = (x, y), None
        self._asked = (x, y, self.target_class())
        self.grid.set_region_shape(None)
        self.grid.set_marker(x, y)
        self.readout.setText(f"Computing the input gradients of pixel ({x}, {y})\u2026 "
                             "(one backward pass through the backbone per path)")
        self.fieldWanted.emit(x, y, self.target_class())

    def request_region(self, region: Region, kind: str) -> None:
        """Ask for the field of the target class's logit summed over ``region`` (``set_field`` answers)."""
        if self._photo_size is None:
            return
        self.pixel, self.region = None, (region, kind)
        self._asked = (_region_key(region), self.target_class())
        self.grid.set_marker(None, None)
        self.grid.set_region_shape(region_mask_path(region.mask, region.box))
        self.readout.setText(f"Computing the input gradients of the region ({region.pixels} px)\u2026 "
                             "(one backward pass through the backbone per path)")
        self.regionWanted.emit(region, kind, self.target_class())

    def _ask_again(self) -> None:
        if self.pixel is not None:
            self.request(*self.pixel)
        elif self.region is not None:
            self.request_region(*self.region)

    def set_field(self, field: ReceptiveField | RegionReceptiveField) -> None:
        wanted = self._asked
        region = getattr(field, "region", None)
        key = (getattr(field, "x", None), getattr(field, "y", None)) if region is None else (_region_key(region),)
        if wanted is None or key != tuple(wanted[:-1]) or wanted[-1] not in (NO_CLASS, field.class_index):
            return  # an answer for a pixel, region or class no longer asked for
        self.field = field
        self._draw()

    def set_failed(self, message: str) -> None:
        self.readout.setText(f"Could not compute the receptive field: {message}")

    # --- drawing ------------------------------------------------------------------------------
    def shown_maps(self) -> list[np.ndarray]:
        return self.grid.values

    def export_map(self) -> tuple[np.ndarray, tuple[float, float], np.ndarray] | None:
        """(values, levels, RGB lookup table) of the full network's panel as drawn, for a PNG."""
        levels = self.grid.levels()
        if self.field is None or not self.grid.values or levels is None:
            return None
        return self.grid.values[0], levels, fading_colormap().getLookupTable(nPts=256, alpha=False)

    def _draw(self) -> None:
        field = self.field
        if field is None or self._photo_size is None:
            return
        height, width = self._photo_size
        magnitudes = field.magnitudes()
        mode = str(self.scale.currentData())
        label = "|d logit / d input|" if mode == "shared" else "fraction of each map's maximum"
        self.grid.set_maps(scaled_maps(magnitudes, mode), None, (0.0, 0.0, float(width), float(height)),
                           label, symmetric=False)
        if mode != "shared" and self.grid.colorbar is not None:
            self.grid.colorbar.setLevels((0.0, 1.0))
            for image in self.grid.images:
                image.setLevels((0.0, 1.0))
        peaks = magnitudes.reshape(len(magnitudes), -1).max(1)
        self.grid.set_titles([f"{name} (max {peak:.2g})" for name, peak in zip(self._names, peaks)])
        region = getattr(field, "region", None)
        if region is None:
            self.grid.set_marker(field.x, field.y)  # type: ignore[union-attr]
        self._draw_outlines()
        self.readout.setText(self._describe(field, magnitudes))

    def _photo_rect(self, box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
        """An input-pixel box (y0, y1, x0, x1) in photo coordinates."""
        assert self._photo_size is not None and self._input_size is not None
        (height, width), (ih, iw) = self._photo_size, self._input_size
        y0, y1, x0, x1 = box
        sy, sx = height / ih, width / iw
        return (x0 * sx, y0 * sy, (x1 - x0) * sx, (y1 - y0) * sy)

    def _draw_outlines(self) -> None:
        from app.engine.ppm_region_erf import RegionReceptiveField

        field = self.field
        if field is None or self._input_size is None or not self.bounds_box.isChecked():
            self.grid.set_outlines([])
            self.grid.set_shapes([])
            return
        if isinstance(field, RegionReceptiveField):  # the union of its pixels' boxes, drawn as that shape
            assert self._photo_size is not None
            rect = (0.0, 0.0, float(self._photo_size[1]), float(self._photo_size[0]))
            self.grid.set_outlines([])
            self.grid.set_shapes([mask_path(m, rect) for m in (field.full_mask, *field.masks)])
            return
        self.grid.set_shapes([])
        self.grid.set_outlines([self._photo_rect(b) for b in (field.full_bounds, *field.bounds)])

    def _describe(self, field: Any, magnitudes: np.ndarray) -> str:
        from app.engine.ppm_erf import box_fraction

        assert self._input_size is not None
        if hasattr(field, "masks"):
            return self._describe_region(field, magnitudes)
        name = self._class_name(field.class_index)
        total = magnitudes[1:].reshape(len(magnitudes) - 1, -1).sum(1)
        strength = ", ".join(f"{n} {t / max(float(total.sum()), 1e-30):.0%}" for n, t in zip(field.names, total))
        reach = ", ".join(f"{n} {box_fraction(b, self._input_size):.0%}" for n, b in zip(field.names, field.bounds))
        return (f"Pixel ({field.x}, {field.y}), <b>{name}</b> (logit {field.logit:.3f}). Gradient mass per path: "
                f"{strength}. Analytic field (share of the input it can reach): {reach}. The paths' signed "
                "gradients add up to the full network's.")

    def _describe_region(self, field: RegionReceptiveField, magnitudes: np.ndarray) -> str:
        from app.engine.ppm_region_erf import mask_fraction

        name = self._class_name(field.class_index)
        total = magnitudes[1:].reshape(len(magnitudes) - 1, -1).sum(1)
        strength = ", ".join(f"{n} {t / max(float(total.sum()), 1e-30):.0%}" for n, t in zip(field.names, total))
        reach = ", ".join(f"{n} {mask_fraction(m):.0%}" for n, m in zip(field.names, field.masks))
        what = {"box": "Box", "connected": "Connected region", "class": "Whole class"}.get(field.kind, "Region")
        return (f"{what} of {field.pixel_count} px, <b>{name}</b> (summed logit {field.logit:.3f}, mean "
                f"{field.logit / max(field.pixel_count, 1):.3f}). Gradient mass per path: {strength}. Analytic "
                f"field (union of its pixels' boxes; share of the input): {reach}. The paths add up to the full "
                "network's gradient.")

    def _class_name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else f"class {index}"


def _region_key(region: Region) -> tuple:
    """What identifies a region's request: its box, its pixel count and a digest of its mask."""
    return (region.box, region.pixels, hash(np.packbits(region.mask).tobytes()))
