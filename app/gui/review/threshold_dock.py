"""The confidence threshold panel: a global value and per-class values, on or off.

Pixels under their threshold are drawn hatched (see app.viewing.rendering) and are the
ones a saved map stores as ignore (255) (app.labels.threshold). Changes are applied
after a short pause, so dragging the slider does not redraw a big photo on every step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel,
                               QSlider, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.labels.threshold import ConfidenceThreshold

GLOBAL = -1.0  # a class spin box at its minimum: the class uses the global threshold
APPLY_DELAY_MS = 150


class ThresholdDock(QDockWidget):
    changed = Signal()  # settings() has new values

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Confidence Threshold", parent)
        self.setObjectName("thresholdDock")
        self.enabled = QCheckBox("Ignore pixels below the threshold")
        self.enabled.setToolTip("Pixels the model is less sure of are drawn hatched and saved as ignore (255), "
                                "so a person labels them instead of trusting them")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.value = QDoubleSpinBox(suffix=" %", decimals=1, minimum=0, maximum=100, singleStep=5)
        self.classes = QTreeWidget()
        self.classes.setHeaderLabels(["Class", "Threshold"])
        self.classes.setRootIsDecorated(False)
        self.classes.setToolTip("A class's own threshold replaces the global one ('global': none set)")
        self.classes.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("thresholdSummary")
        row = QHBoxLayout()
        row.addWidget(QLabel("Global"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.value)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.enabled)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("Per class"))
        layout.addWidget(self.classes, 1)
        self.setWidget(body)
        self._spins: list[QDoubleSpinBox] = []
        self._timer = QTimer(self, singleShot=True, interval=APPLY_DELAY_MS)
        self._timer.timeout.connect(self.changed)
        self.slider.valueChanged.connect(lambda v: self.value.setValue(v))
        self.value.valueChanged.connect(self._on_global)
        self.enabled.toggled.connect(lambda _on: self._timer.start())
        self.set_settings(ConfidenceThreshold())

    def set_classes(self, names: tuple[str, ...]) -> None:
        """One row per class; per-class values of another class list are dropped."""
        self.classes.clear()
        self._spins = []
        for index, name in enumerate(names):
            item = QTreeWidgetItem([f"{index}  {name}", ""])
            self.classes.addTopLevelItem(item)
            spin = QDoubleSpinBox(suffix=" %", decimals=0, minimum=GLOBAL, maximum=100, singleStep=5)
            spin.setSpecialValueText("global")
            spin.setValue(GLOBAL)
            spin.valueChanged.connect(lambda _v: self._timer.start())
            self.classes.setItemWidget(item, 1, spin)
            self._spins.append(spin)

    def settings(self) -> ConfidenceThreshold:
        per_class = {i: spin.value() / 100.0 for i, spin in enumerate(self._spins) if spin.value() >= 0}
        return ConfidenceThreshold(self.enabled.isChecked(), self.value.value() / 100.0, per_class)

    def set_settings(self, settings: ConfidenceThreshold) -> None:
        self.enabled.setChecked(settings.enabled)
        self.value.setValue(settings.global_t * 100)
        for index, spin in enumerate(self._spins):
            value = settings.per_class.get(index)
            spin.setValue(GLOBAL if value is None else round(value * 100))
        self._timer.start()

    def apply_now(self) -> None:
        """Emit ``changed`` without waiting for the pause (tests, programmatic changes)."""
        self._timer.stop()
        self.changed.emit()

    def set_summary(self, text: str) -> None:
        self.summary.setText(text)

    def _on_global(self, value: float) -> None:
        if self.slider.value() != round(value):
            self.slider.blockSignals(True)
            self.slider.setValue(round(value))
            self.slider.blockSignals(False)
        self._timer.start()
