"""The "Maps" tab: a branch's pooled grid or upsampled map, one channel or a reduction.

A channel is a slice of the stored float16 array, drawn at once; reductions across
channels (and the channel ranking for the gallery) are computed once per image on
the ``background`` runner, then cached by ``PPMActivations``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QSlider,
                               QSpinBox, QSplitter, QToolButton, QVBoxLayout, QWidget)

from app.gui.inspector.gallery import ChannelGallery
from app.gui.inspector.map_caption import REDUCTION_LABELS, map_caption
from app.gui.inspector.map_view import MapView, robust_levels
from app.gui.inspector.overlay import MapOverlay, make_overlay
from app.gui.inspector.pinned import PinnedMap
from app.gui.jobs import Submit

if TYPE_CHECKING:
    from app.engine.ppm_analysis import PPMActivations

GALLERY_SIZE = 16
GALLERY_MIN_TAB_HEIGHT = 560  # a shorter tab starts with the gallery folded (the map needs the height)


class MapsTab(QWidget):
    overlayChanged = Signal(object)  # MapOverlay, or None when not sent to the main view
    message = Signal(str)

    def __init__(self, background: Submit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._background = background
        self.acts: PPMActivations | None = None
        self.last_redraw_ms = 0.0
        self._pending: tuple | None = None
        self._sent = False  # whether the main view currently holds our overlay

        self.source = QComboBox()
        self.view_mode = QComboBox()
        self.view_mode.addItem("Pooled grid (bin \u00d7 bin)", "pooled")
        self.view_mode.addItem("Upsampled map (head input)", "upsampled")
        self.view_mode.setCurrentIndex(1)
        self.reduction = QComboBox()
        for key, label in REDUCTION_LABELS.items():
            self.reduction.addItem(label, key)
        for combo in (self.source, self.view_mode, self.reduction):  # may shrink in a narrow dock
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.spin = QSpinBox()
        self.spin.setKeyboardTracking(False)
        self.photo_box = QCheckBox("Photo")
        self.photo_box.setToolTip("The photo under the map")
        self.photo_box.setChecked(True)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(75)
        self.opacity.setToolTip("Opacity of the map over the photo")
        self.opacity.setMinimumWidth(120)  # in a narrow dock the row's check boxes squeezed it to a sliver
        self.send_box = QCheckBox("On the main view")
        self.send_box.setToolTip("Send this map, with its opacity, to the main image view as an overlay")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.map_view = MapView(histogram=True)
        self.pinned = PinnedMap(background)  # another image's map, beside (hidden until pinned)
        self._photo: np.ndarray | None = None
        self.gallery = ChannelGallery()

        channel_row = QHBoxLayout()
        channel_row.addWidget(self.slider, 1)
        channel_row.addWidget(self.spin)
        overlay_row = QHBoxLayout()
        overlay_row.addWidget(self.photo_box)
        overlay_row.addWidget(QLabel("Opacity"))
        overlay_row.addWidget(self.opacity, 1)
        overlay_row.addWidget(self.send_box)
        # three rows, so that the map keeps most of a docked inspector's height
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(QLabel("View"))
        source_row.addWidget(self.view_mode, 1)
        show_row = QHBoxLayout()
        show_row.addWidget(self.reduction, 1)
        show_row.addWidget(QLabel("Channel"))
        show_row.addLayout(channel_row, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Branch", source_row)
        form.addRow("Show", show_row)
        form.addRow("Overlay", overlay_row)
        self.gallery_button = QToolButton()
        self.gallery_button.setText("Most active channels")
        self.gallery_button.setCheckable(True)
        self.gallery_button.setChecked(True)
        self.gallery_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.gallery_button.setAutoRaise(True)
        self.gallery_button.setArrowType(Qt.ArrowType.DownArrow)
        self.gallery_button.setToolTip("Show or hide the thumbnails of this branch's most active channels")
        self._gallery_chosen = False  # until the user toggles it, a short tab hides the gallery
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.panes = QSplitter(Qt.Orientation.Horizontal)
        self.panes.addWidget(self.map_view)
        self.panes.addWidget(self.pinned)
        layout.addWidget(self.panes, 1)
        layout.addWidget(self.info)
        layout.addWidget(self.gallery_button)
        layout.addWidget(self.gallery)

        self.source.currentIndexChanged.connect(self._source_changed)
        self.view_mode.currentIndexChanged.connect(lambda _: self.redraw())
        self.reduction.currentIndexChanged.connect(self._reduction_changed)
        self.slider.valueChanged.connect(self.spin.setValue)
        self.spin.valueChanged.connect(self.slider.setValue)
        self.spin.valueChanged.connect(lambda _: self.redraw())
        self.photo_box.toggled.connect(self.map_view.show_photo)
        self.photo_box.toggled.connect(self.pinned.view.show_photo)
        self.opacity.valueChanged.connect(self._opacity_changed)
        self.send_box.toggled.connect(lambda _: self._emit_overlay())
        self.gallery.channelChosen.connect(self.choose_channel)
        self.gallery_button.toggled.connect(self._gallery_toggled)
        self.gallery_button.clicked.connect(lambda: setattr(self, "_gallery_chosen", True))
        histogram = self.map_view.histogram
        if histogram is not None:  # always: the view is made with one
            histogram.sigLevelsChanged.connect(lambda *_: self._emit_overlay())
            histogram.sigLevelsChanged.connect(lambda *_: self.pinned.set_levels(self.map_view.levels()))
            histogram.sigLookupTableChanged.connect(lambda *_: self._draw_pinned())
        self.map_view.set_opacity(self.opacity.value() / 100)
        self.set_activations(None, None)

    def _gallery_toggled(self, shown: bool) -> None:
        self.gallery.setVisible(shown)
        self.gallery_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def resizeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        super().resizeEvent(event)
        if not self._gallery_chosen:  # docked in a short column: the map first
            self.gallery_button.setChecked(self.height() >= GALLERY_MIN_TAB_HEIGHT)

    # --- content -----------------------------------------------------------------------
    def set_activations(self, acts: PPMActivations | None, photo: np.ndarray | None) -> None:
        self.acts = acts
        self._pending = None
        self._photo = photo
        self.map_view.set_photo(photo)
        self.source.blockSignals(True)
        self.source.clear()
        if acts is not None:
            for i, name in enumerate(acts.names):
                self.source.addItem(f"{name}  ({acts.channel_count(i)} channels)", i)
        self.source.blockSignals(False)
        for w in (self.source, self.view_mode, self.reduction, self.slider, self.spin, self.gallery):
            w.setEnabled(acts is not None)
        if acts is None:
            self.map_view.set_map(None, (0, 0, 1, 1))
            self.gallery.clear()
            self.info.setText("")
            self._emit_overlay()
            return
        self._source_changed()

    def selection(self) -> tuple[int, str, str, int]:
        """(source, view, reduction, channel) as shown."""
        return (int(self.source.currentData() or 0), str(self.view_mode.currentData()),
                str(self.reduction.currentData()), int(self.spin.value()))

    def choose_channel(self, channel: int) -> None:
        """Show one channel of the current branch (the gallery's click)."""
        self.reduction.setCurrentIndex(self.reduction.findData("channel"))
        self.spin.setValue(channel)
        self.redraw()

    # --- drawing -----------------------------------------------------------------------
    def redraw(self) -> None:
        if self.acts is None or self.source.count() == 0:
            return
        source, view, kind, channel = self.selection()
        acts = self.acts
        if not acts.is_ready(source, view, kind):
            key = (id(acts), source, view, kind)
            if self._pending != key:
                self._pending = key
                self.info.setText(f"Computing {REDUCTION_LABELS[kind].lower()}\u2026")
                self._background(lambda _ctx: acts.reduce(source, view, kind),
                                 lambda _value: self._computed(key), self._failed)
            return
        start = time.perf_counter()
        values = acts.reduce(source, view, kind, channel)
        self.map_view.set_map(values, acts.geometry.feature_rect(), self._shared_levels(values))
        self._draw_pinned()
        self.last_redraw_ms = (time.perf_counter() - start) * 1000.0
        self.info.setText(map_caption(acts, source, view, kind, channel, values, self.last_redraw_ms))
        self._emit_overlay()

    # --- a pinned image beside ----------------------------------------------------------
    def pin(self, title: str) -> bool:
        """Keep the current capture beside the next images' maps (False: nothing to pin)."""
        if self.acts is None or self._photo is None:
            return False
        self.pinned.pin(self.acts, self._photo, title)
        self.pinned.view.set_opacity(self.opacity.value() / 100)  # drawn as the current map is
        self.pinned.view.show_photo(self.photo_box.isChecked())
        self.redraw()
        return True

    def unpin(self) -> None:
        self.pinned.unpin()
        self.redraw()

    def _pinned_values(self) -> np.ndarray | None:
        if self.pinned.acts is None or self.acts is None or self.pinned.mismatch(self.acts):
            return None
        return self.pinned.values_for(self.selection(), self.redraw)

    def _shared_levels(self, values: np.ndarray) -> tuple[float, float] | None:
        """One colour scale for both panes: levels from both maps' values (None: the current map's own)."""
        other = self._pinned_values()
        if values.ndim != 2 or other is None or other.ndim != 2:
            return None
        return robust_levels(np.concatenate([values.ravel(), other.ravel()]))

    def _draw_pinned(self) -> None:
        if self.pinned.acts is None:
            return
        reason = self.pinned.mismatch(self.acts)
        values = None if reason else self._pinned_values()
        note = reason or ("" if values is not None or self.acts is None else "Computing\u2026")
        if values is not None and values.ndim == 3:
            note = "PCA: each image's own components (colours do not correspond)"
        self.pinned.show_values(values, self.map_view.levels(), self.map_view.lookup_table(), note)

    def _computed(self, key: tuple) -> None:
        if self._pending == key:
            self._pending = None
            if self.acts is not None and (id(self.acts), *self.selection()[:3]) == key:
                self.redraw()

    def _failed(self, message: str) -> None:
        self._pending = None
        self.info.setText(f"Could not compute this map: {message}")
        self.message.emit(message)

    def _source_changed(self, *_: object) -> None:
        if self.acts is None or self.source.count() == 0:
            return
        source = int(self.source.currentData())
        self.view_mode.setEnabled(source != 0)
        top = self.acts.channel_count(source) - 1
        for w in (self.slider, self.spin):
            w.blockSignals(True)
            w.setRange(0, top)
            w.blockSignals(False)
        self.slider.setValue(min(self.spin.value(), top))
        self._fill_gallery(self.acts, source)
        self.redraw()

    def _reduction_changed(self, *_: object) -> None:
        is_channel = self.reduction.currentData() == "channel"
        self.slider.setEnabled(is_channel and self.acts is not None)
        self.spin.setEnabled(is_channel and self.acts is not None)
        self.redraw()

    def _fill_gallery(self, acts: PPMActivations, source: int) -> None:
        def ranked(_ctx: object) -> list[tuple[int, float, np.ndarray]]:
            return [(i, s, acts.channel(source, "upsampled", i))
                    for i, s in acts.top_channels(source, GALLERY_SIZE)]

        def show(channels: list, expected=(id(acts), source)) -> None:  # noqa: B008 - bound now, on purpose
            if self.acts is not None and (id(self.acts), int(self.source.currentData())) == expected:
                self.gallery.set_channels(channels)

        self.gallery.clear()
        self._background(ranked, show, self._failed)

    # --- overlay for the main view -------------------------------------------------------
    def _opacity_changed(self, value: int) -> None:
        self.map_view.set_opacity(value / 100)
        self.pinned.view.set_opacity(value / 100)
        self._emit_overlay()

    def current_overlay(self) -> MapOverlay | None:
        values = self.map_view.values
        if self.acts is None or values is None:
            return None
        return make_overlay(values, self.map_view.levels(), self.map_view.lookup_table(), self.opacity.value(),
                            self.acts.geometry.feature_rect())

    def _emit_overlay(self) -> None:
        if self.send_box.isChecked():
            self.overlayChanged.emit(self.current_overlay())
        elif self._sent:
            self.overlayChanged.emit(None)
        self._sent = self.send_box.isChecked()
