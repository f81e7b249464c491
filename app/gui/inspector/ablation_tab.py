"""The "Ablation" tab: switch parts of the PPM off, re-run the head, see what changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.gui.inspector.map_view import MapView

if TYPE_CHECKING:
    from app.engine.ppm_ablation import AblationResult

SHOW_MODES = {"ablated": "Segmentation with the parts off", "changed": "Pixels whose class changed",
              "baseline": "Segmentation with every part on"}


def label_rgba(labels: np.ndarray, palette: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 4) uint8 class colours; pixels outside ``mask`` are transparent."""
    rgb = palette[np.minimum(labels, len(palette) - 1)]
    alpha = np.full(labels.shape + (1,), 255, dtype=np.uint8)
    if mask is not None:
        alpha[~mask] = 0
    return np.concatenate([rgb, alpha], axis=2)


class AblationTab(QWidget):
    applyRequested = Signal(tuple, str)  # parts switched off, mode

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: AblationResult | None = None
        self.class_names: list[str] = []
        self.class_palette = np.zeros((1, 3), np.uint8)
        self.checks: list[QCheckBox] = []

        self.checks_row = QHBoxLayout()
        self.checks_row.addWidget(QLabel("Switch off"))
        self.mode = QComboBox()
        self.mode.addItem("zeroed", "zero")
        self.mode.addItem("spatial mean", "mean")
        self.mode.setToolTip("Zeroed: the part is removed. Spatial mean: each channel keeps its average "
                             "over the image but loses where it was.")
        self.apply = QPushButton("Apply")
        self.apply.setToolTip("Re-run only the head with these parts off (runs in the background)")
        self.show_mode = QComboBox()
        for key, label in SHOW_MODES.items():
            self.show_mode.addItem(label, key)
        self.status = QLabel("Choose parts to switch off and press Apply.")
        self.status.setWordWrap(True)
        self.map_view = MapView(histogram=False)
        self.map_view.set_opacity(0.8)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Class", "Before", "After", "Change"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Mode"))
        controls.addWidget(self.mode)
        controls.addStretch(1)
        controls.addWidget(self.apply)
        show_row = QHBoxLayout()
        show_row.addWidget(QLabel("Show"))
        show_row.addWidget(self.show_mode, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.map_view)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(self.checks_row)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addLayout(show_row)
        layout.addWidget(splitter, 1)

        self.apply.clicked.connect(self._apply)
        self.show_mode.currentIndexChanged.connect(lambda _: self._draw())

    def set_context(self, part_names: list[str] | None, photo: np.ndarray | None,
                    class_names: list[str], palette: np.ndarray) -> None:
        self.class_names, self.class_palette = class_names, palette
        self.result = None
        for check in self.checks:
            self.checks_row.removeWidget(check)
            check.deleteLater()
        self.checks = []
        for i, name in enumerate(part_names or []):
            check = QCheckBox(name)
            check.setToolTip("The PPM's input features (the local evidence)" if i == 0 else
                             f"The {name} pyramid branch (context pooled on a {name[4:]}\u00d7{name[4:]} grid)")
            self.checks_row.addWidget(check)
            self.checks.append(check)
        self.apply.setEnabled(bool(part_names))
        self.map_view.set_photo(photo)
        self.map_view.set_map(None, (0, 0, 1, 1))
        self.table.setRowCount(0)
        self.status.setText("Choose parts to switch off and press Apply." if part_names else "")

    def set_parts_off(self, parts: tuple[int, ...], mode: str | None = None) -> None:
        for i, check in enumerate(self.checks):
            check.setChecked(i in parts)
        if mode is not None:
            self.mode.setCurrentIndex(self.mode.findData(mode))

    def parts_off(self) -> tuple[int, ...]:
        return tuple(i for i, check in enumerate(self.checks) if check.isChecked())

    def _apply(self) -> None:
        parts = self.parts_off()
        if not parts:
            self.status.setText("Nothing is switched off: tick at least one part.")
            return
        self.set_busy(True)
        self.applyRequested.emit(parts, str(self.mode.currentData()))

    def set_busy(self, busy: bool, text: str = "Re-running the head\u2026") -> None:
        self.apply.setEnabled(not busy and bool(self.checks))
        if busy:
            self.status.setText(text)

    def set_failed(self, message: str) -> None:
        self.set_busy(False)
        self.status.setText(f"The ablation failed: {message}")

    def set_result(self, result: AblationResult) -> None:
        self.set_busy(False)
        self.result = result
        names = ", ".join(self.checks[i].text() for i in result.parts_off if i < len(self.checks))
        how = "zeroed" if result.mode == "zero" else "replaced by their spatial mean"
        changed = int(result.changed.sum())
        self.status.setText(f"{names} {how}: {changed:,} pixels ({result.changed_fraction:.1%}) changed class.")
        self._fill_table(result)
        self._draw()

    def _fill_table(self, result: AblationResult) -> None:
        rows = result.area_changes()
        self.table.setRowCount(len(rows))
        for r, (cls, before, after) in enumerate(rows):
            name = self.class_names[cls] if cls < len(self.class_names) else f"class {cls}"
            swatch = QTableWidgetItem(name)
            color = self.class_palette[cls] if cls < len(self.class_palette) else (128, 128, 128)
            swatch.setData(Qt.ItemDataRole.DecorationRole, QColor(*(int(c) for c in color)))
            change = QTableWidgetItem(f"{(after - before) * 100:+.2f} pts")
            if abs(after - before) > 1e-12:
                change.setForeground(QBrush(QColor("#e06666" if after < before else "#6aa84f")))
            for c, item in enumerate([swatch, QTableWidgetItem(f"{before:.2%}"),
                                      QTableWidgetItem(f"{after:.2%}"), change]):
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)

    def _draw(self) -> None:
        result = self.result
        if result is None:
            return
        mode = self.show_mode.currentData()
        if mode == "changed":
            image = label_rgba(result.ablated, self.class_palette, result.changed)
        else:
            image = label_rgba(result.baseline if mode == "baseline" else result.ablated, self.class_palette)
        height, width = image.shape[:2]
        self.map_view.set_map(image, (0, 0, width, height))
