"""The confidence threshold panel in the window: its values go to the viewer (which hatches
the pixels below them) and into the app settings, and its summary says how much of the
image on screen is below the threshold.

Per-class thresholds are kept by class name, so a model with other classes neither
loses nor takes over the values set for another model's classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot

from app.gui.batch.saved_labels import SAVED_DEVICE
from app.gui.review.label_source import LABELS_DEVICE
from app.gui.review.threshold_dock import ThresholdDock
from app.labels.threshold import ConfidenceThreshold
from app.viewing.cache import CachedView

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class ThresholdLink(QObject):
    """Built by the ReviewLink, which keeps it as ``threshold`` (and its dock as ``threshold_dock``)."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.viewer = window, window.viewer
        self.dock = ThresholdDock(window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        # the threshold is kept between sessions (app settings, per class by name)
        on, global_t, self._class_thresholds = window.settings.threshold()
        self._threshold_names: tuple[str, ...] = ()
        self.dock.set_settings(ConfidenceThreshold(on, global_t))
        self.viewer.resultShown.connect(self._on_result_shown)
        self.dock.changed.connect(self._on_threshold_changed)

    def set_classes(self, names: tuple[str, ...]) -> None:
        """A new model's class names: the panel lists them with the values kept for them."""
        self._threshold_names = names
        current = self.dock.settings()
        self.dock.set_classes(names)
        self.dock.set_settings(ConfidenceThreshold(current.enabled, current.global_t, {
            i: self._class_thresholds[name] for i, name in enumerate(names) if name in self._class_thresholds}))

    def _on_threshold_changed(self) -> None:
        settings = self.viewer.threshold = self.dock.settings()
        self.viewer.redraw()
        self._describe_threshold()
        for index, name in enumerate(self._threshold_names):  # other class lists' values are kept
            if index in settings.per_class:
                self._class_thresholds[name] = settings.per_class[index]
            else:
                self._class_thresholds.pop(name, None)
        self.window.settings.set_threshold(settings.enabled, settings.global_t, self._class_thresholds)

    @Slot(object)
    def _on_result_shown(self, _item: CachedView) -> None:
        self._describe_threshold()

    def _describe_threshold(self) -> None:
        shown, settings = self.viewer.shown, self.viewer.threshold
        if not settings.active():
            text = "Off: every pixel keeps its class."
        elif shown is None:
            text = ""
        elif shown.result.device in (LABELS_DEVICE, SAVED_DEVICE):
            text = "These labels were read from disk and carry no confidence: the threshold does not change them."
        else:
            total = max(shown.result.labels.size, 1)
            text = (f"{100.0 * self.viewer.uncertain_pixels / total:.1f}% of this image is below the threshold "
                    "(hatched); a saved map stores those pixels as ignore (255).")
        self.dock.set_summary(text)
