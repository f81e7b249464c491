"""The pyramid pooling inspector dock: maps, contributions and ablations of one image's PPM.

The main window hosts it and feeds it: ``set_result(image, result, model)`` after each
segmentation (made with ``capture=True``; ``model`` is the worker's ``ModelInfo``),
``clear()``, and ``show_pixel(x, y)`` on a click in the main view. Model work
(contribution maps, pixel splits, ablations: ``model_requests``, ``capture_jobs``) goes
through the ``submit`` hook, never the GUI thread, and uses the network of the job's context (the worker's Segmenter) only when
it is still the model that made the capture; results of an image the user has left are
dropped (a generation counter).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QPushButton, QScrollArea, QStackedWidget,
                               QTabWidget, QVBoxLayout, QWidget)

from app.gui.inspector.ablation_tab import AblationTab
from app.gui.inspector.contrib_tab import ContributionTab
from app.gui.inspector.erf_tab import ReceptiveFieldTab
from app.gui.inspector.export import InspectorExport
from app.gui.inspector.fitted import FittedHolder
from app.gui.inspector.maps_tab import MapsTab
from app.gui.inspector.model_requests import ModelRequests, RequestKind
from app.gui.jobs import Submit
from app.gui.thread_pool import ThreadPoolSubmitter

if TYPE_CHECKING:  # the window must appear before torch has loaded
    from app.checkpoints.meta import ModelMeta
    from app.engine.ppm_analysis import PPMActivations
    from app.engine.result import SegmentationResult
    from app.gui.worker_types import ModelInfo

NOT_CAPTURED = ("Activations were not captured for this image.\n\nThe inspector needs the pyramid "
                "pooling module's activations from the same forward pass; segment the image again "
                "with the inspector open (the viewer then asks the engine to capture them).")
NO_IMAGE = "Open an image to look inside the pyramid pooling module."


class PPMInspectorDock(ModelRequests, QDockWidget):
    """The tabs, their frame and the capture shown; the model work is ``ModelRequests``'s."""

    overlayChanged = Signal(object)  # MapOverlay (RGBA + rect in photo pixels) or None
    pixelPicked = Signal(int, int)  # a click on one of the dock's own views, in photo pixels
    message = Signal(str)  # a short status line for the main window's status bar
    save_location: Any = None  # the window's SaveLocation (app.gui.save_location), set by its host

    def __init__(self, submit: Submit | None = None, background: Submit | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__("Pyramid pooling inspector", parent)
        self.setObjectName("PPMInspectorDock")
        self._submit: Submit = submit or ThreadPoolSubmitter(parent=self)
        self._background: Submit = background or ThreadPoolSubmitter(parent=self)
        self._generation = 0
        self._meta: ModelMeta | None = None  # the model that made the capture shown
        self._result: SegmentationResult | None = None
        self.acts: PPMActivations | None = None
        self._contrib_pending = False
        self._cancels: dict[RequestKind, threading.Event] = {}  # of the requests being computed, by kind
        self._responses: Any = None  # LazyHeadResponses of the current capture
        self._labels: np.ndarray | None = None  # the label map shown, for region picks

        self.maps_tab = MapsTab(self._background)
        self.contrib_tab = ContributionTab()
        self.ablation_tab = AblationTab()
        self.erf_tab = ReceptiveFieldTab()
        self._image: np.ndarray | None = None  # the photo shown: the receptive field's input is rebuilt from it
        self.tabs = QTabWidget()
        self.tabs.addTab(self.maps_tab, "Maps")
        self.tabs.addTab(self.contrib_tab, "Contribution")
        self.tabs.addTab(self.ablation_tab, "Ablation")
        self.tabs.addTab(self.erf_tab, "Receptive field")
        self.empty = QLabel(NO_IMAGE)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMargin(24)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tabs)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.export_png_button = QPushButton("Save map as PNG\u2026")
        self.export_png_button.setToolTip("The map shown in the current tab, colour-mapped as shown")
        self.export_npz_button = QPushButton("Save activations (.npz)\u2026")
        self.export_npz_button.setToolTip("The raw float16 features, pooled grids and upsampled maps")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.pin_button = QPushButton("Pin image")
        self.pin_button.setCheckable(True)
        self.pin_button.setToolTip("Keep this image's maps and split beside the next image's (same channel, "
                                   "same colour scale); again: unpin")
        self.full_button = QPushButton("Full window")
        self.full_button.setCheckable(True)
        self.full_button.setToolTip("Float the inspector over the whole main window (again: dock it back)")

        buttons = QHBoxLayout()
        buttons.addWidget(self.export_png_button)
        buttons.addWidget(self.export_npz_button)
        buttons.addStretch(1)
        buttons.addWidget(self.pin_button)
        buttons.addWidget(self.full_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.header)
        # In a crowded side column the tabs scroll instead of forcing the main window to grow
        # past the screen (at 1400x880 the window's other docks share the column); "Full
        # window" gives them the whole window.
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setWidget(FittedHolder(self.stack))
        self.scroll_area.setMinimumSize(280, 120)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.setWidget(body)

        self.maps_tab.overlayChanged.connect(self.overlayChanged)
        self.maps_tab.message.connect(self.say)
        self.maps_tab.map_view.clicked.connect(self._picked)
        self.contrib_tab.pixelClicked.connect(self._picked)
        self.contrib_tab.boxSelected.connect(self.select_box)
        self.contrib_tab.classMapsWanted.connect(self._compute_class_maps)
        self.contrib_tab.gradcamWanted.connect(self._compute_gradcam)
        self.full_button.toggled.connect(self.set_full_window)
        self.pin_button.toggled.connect(self.set_pinned)
        self.topLevelChanged.connect(self._on_floating)
        self.ablation_tab.map_view.clicked.connect(self._picked)
        self.ablation_tab.applyRequested.connect(self.apply_ablation)
        self.erf_tab.pixelClicked.connect(self._picked)
        self.erf_tab.fieldWanted.connect(self._compute_field)
        self.erf_tab.regionWanted.connect(self._compute_region_field)
        self.erf_tab.boxSelected.connect(self.select_field_box)
        self.contrib_tab.stageGradcamWanted.connect(self._compute_stage_gradcam)
        self.tabs.currentChanged.connect(lambda _: self._ensure_contributions())
        self._export = InspectorExport(self)
        self.export_png_button.clicked.connect(self._ask_png)
        self.export_npz_button.clicked.connect(self._ask_npz)
        self.clear()

    # --- slots the main window calls ----------------------------------------------------
    @Slot(object, object, object)
    def set_result(self, image: np.ndarray, result: SegmentationResult, model: ModelInfo) -> None:
        """Show the PPM of ``result`` for ``image`` (H, W, 3 uint8), made by ``model``."""
        if result is self._result and model.meta is self._meta and self.acts is not None:
            return  # the same capture again (the dock was floated or shown again): every tab keeps its state
        self._generation += 1
        self.cancel_requests()  # their answers would be dropped: stop computing them
        self._meta, self._result = model.meta, result
        self._contrib_pending = False
        capture = getattr(result, "activations", None)
        name = model.meta.display_name
        if capture is None:
            self._set_empty(NOT_CAPTURED)
            self.header.setText(f"<b>{name}</b>" if name else "")
            return
        from app.engine.ppm_analysis import PPMActivations, capture_geometry  # torch: after start-up

        geometry = capture_geometry(capture, result.size, result.input_size, model.align_corners,
                                    via_input=getattr(result, "capture_via_input", True))
        self.acts = PPMActivations(capture, geometry)
        from app.engine.ppm_contrib import LazyHeadResponses

        self._responses = LazyHeadResponses(self.acts.capture, self._new_request("capture"))
        self._labels = np.asarray(result.labels)
        classes = model.meta.classes
        names = list(classes.names)
        self.maps_tab.set_activations(self.acts, image)
        self.contrib_tab.set_context(self.acts, image, names)
        self.ablation_tab.set_context(self.acts.names, image, names, classes.palette)
        self._image = image
        self.erf_tab.set_context(self.acts.names, image, geometry.input_size, names)
        self.stack.setCurrentWidget(self.tabs)
        for button in (self.export_png_button, self.export_npz_button):
            button.setEnabled(True)
        fh, fw = geometry.feature_size
        self.header.setText(f"<b>{name}</b> \u2014 features {self.acts.channel_count(0)}\u00d7{fh}\u00d7{fw}, "
                            f"bins {'/'.join(map(str, self.acts.bins))}, network input "
                            f"{geometry.input_size[1]}\u00d7{geometry.input_size[0]}")
        self.status.setText("")
        self._ensure_contributions()

    @Slot()
    def clear(self) -> None:
        self._generation += 1
        self.cancel_requests()
        self._meta = self._result = self.acts = self._responses = self._labels = None
        self._set_empty(NO_IMAGE)
        self.header.setText("")

    @Slot(bool)
    def set_pinned(self, on: bool) -> None:
        """Pin the current image (its maps, and the split shown) beside the next ones, or unpin."""
        if not on:
            self.maps_tab.unpin()
            self.contrib_tab.unpin_split()
            self.say("Unpinned.")
            return
        image = self._image
        title = "" if image is None else f"the {image.shape[1]}\u00d7{image.shape[0]} image"
        if not self.maps_tab.pin(title):
            self.pin_button.blockSignals(True)
            self.pin_button.setChecked(False)
            self.pin_button.blockSignals(False)
            self.say("There is no image to pin.")
            return
        split = self.contrib_tab.pin_split(title)
        self.say(f"Pinned {title}" + ("" if split else " (its maps; split a pixel or region first to pin a split too)")
                  + ": open another image to compare.")

    # --- layout ----------------------------------------------------------------------------
    @Slot(bool)
    def set_full_window(self, on: bool) -> None:
        """Float over the whole main window (or the screen), or dock back where it was."""
        if on == self.isFloating():
            return
        self.setFloating(on)
        if on:
            host = self.parentWidget()
            area = host.geometry() if host is not None and host.isVisible() else None
            if area is None and self.screen() is not None:
                area = self.screen().availableGeometry()
            if area is not None:
                self.setGeometry(area)
            self.show()
            self.raise_()
        QTimer.singleShot(0, self.contrib_tab, self.contrib_tab.balance)  # once laid out (dropped if deleted)

    def _on_floating(self, floating: bool) -> None:
        self.full_button.blockSignals(True)
        self.full_button.setChecked(floating)
        self.full_button.blockSignals(False)

    # --- export (app.gui.inspector.export) -------------------------------------------------
    def export_png(self, path: str | Path) -> Path | None:
        """Save the current tab's map as PNG, colour-mapped as shown. None if nothing is shown."""
        return self._export.png(path)

    def export_npz(self, path: str | Path) -> Path | None:
        return self._export.npz(path)

    def _ask_png(self) -> None:
        self._export.ask_png()

    def _ask_npz(self) -> None:
        self._export.ask_npz()

    # --- helpers ---------------------------------------------------------------------------
    def _set_empty(self, text: str) -> None:
        self.acts = None
        self.empty.setText(text)
        self.stack.setCurrentWidget(self.empty)
        self.maps_tab.set_activations(None, None)
        self.contrib_tab.set_context(None, None, [])
        self.ablation_tab.set_context(None, None, [], np.zeros((1, 3), np.uint8))
        self._image = None
        self.erf_tab.set_context([], None, None, [])
        for button in (self.export_png_button, self.export_npz_button):
            button.setEnabled(False)
        self.status.setText("")

    def _picked(self, x: int, y: int) -> None:
        self.pixelPicked.emit(x, y)
        self.show_pixel(x, y)

    def say(self, text: str) -> None:
        """Show ``text`` on the dock's status line and send it to the window's status bar."""
        self.status.setText(text)
        self.message.emit(text)
