"""Model > Compare With Model...: a second checkpoint (model B) segments each image shown.

The worker holds B beside the window's model A (app/gui/worker_compare.py) and answers a
``CompareRequest`` after A's result is on screen: B's labels of the same photo with A's
protocol settings, and their agreement with the labels shown (app.labels.compare, worked
out in the worker). This link sends the requests, keeps the answers (by image, both
models and protocol, like the viewer's cache), draws where A and B disagree as one more
layer over the photo, and fills the Model Comparison dock. Stop Comparing drops B.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Hashable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Slot
from PySide6.QtWidgets import QDockWidget, QFileDialog

from app.gui.compare.dock import DIFFERENCE_RGB, CompareDock
from app.gui.files import WEIGHTS_FILTER
from app.gui.worker_types import CompareOutcome, CompareRequest, ModelInfo
from app.viewing.cache import CachedView, ResultCache
from app.viewing.rendering import mask_levels, overlay_lut

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

BUDGET_BYTES = 256 * 1024 * 1024  # B's labels and the disagreement maps kept for going back
OVERLAY_Z = 9  # over the photo and A's layers, under the inspector's map overlay (10)
SHORTCUT, B_SHORTCUT = "D", "Shift+D"
B_FILL_Z = OVERLAY_Z - 0.5  # B's labels: over A's layers, under the disagreement
ROOM, ROOM_LEGEND = 520, 260  # heights asked for the dock and the legend above it when comparing starts
DIFFERENCE_LUT = np.array([[0, 0, 0, 0], [*DIFFERENCE_RGB, 190]], np.uint8)  # the photo shows through


@dataclass
class _Kept:
    """One answer, for the labels of A it was computed from (the same array, not an equal one)."""

    outcome: CompareOutcome
    labels_a: "weakref.ref[np.ndarray]"

    @property
    def nbytes(self) -> int:
        return int(self.outcome.labels_b.nbytes + self.outcome.disagreement.nbytes)


def _name(names: tuple[str, ...], value: int) -> str:
    return names[value] if 0 <= value < len(names) else "ignored" if value == 255 else f"#{value}"


class CompareLink(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.viewer, self.worker = window, window.viewer, window.worker
        self.dock = CompareDock(window)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetFloatable)  # Stop Comparing closes it
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()
        # the viewer's LRU by memory; it needs only ``nbytes`` of what it keeps (typed for CachedView)
        self.cache: Any = ResultCache(BUDGET_BYTES)
        self.model_b: ModelInfo | None = None
        self.loading = False
        self.shown: _Kept | None = None  # the answer drawn now
        self._item: CachedView | None = None  # A's result on screen
        self._wanted = 0  # the request for the image on screen
        self._asked: dict[int, weakref.ref[np.ndarray]] = {}
        self.overlay = pg.ImageItem()
        self.overlay.setZValue(OVERLAY_Z)
        self.overlay.setVisible(False)
        window.view.main_pane.view.addItem(self.overlay)
        # B's labels instead of A's: the photo again over A's layers, B's fill over it at the
        # opacity slider's value, so it looks as A's fill would (no mixing of the two colours)
        self.b_photo, self.b_fill = pg.ImageItem(), pg.ImageItem()
        for z, layer in ((B_FILL_Z - 0.1, self.b_photo), (B_FILL_Z, self.b_fill)):
            layer.setZValue(z)
            layer.setVisible(False)
            window.view.main_pane.view.addItem(layer)

        menus = window.actions_
        self.compare_action = menus.make_action("Compare With &Model...", self.choose_model,
                                                tip="Segment each image with a second model too and compare")
        self.stop_action = menus.make_action("Stop Comparing", self.stop)
        self.stop_action.setEnabled(False)
        menus.add_to_menu("model", self.compare_action, before="model:card")
        menus.add_to_menu("model", self.stop_action, before="model:card", separator=True)
        self.differences_action = menus.make_action("Model &Disagreement", self._on_differences_action,
                                                    SHORTCUT, checkable=True,
                                                    tip=f"Highlight where the two models disagree ({SHORTCUT})")
        self.b_labels_action = menus.make_action("Model &B's Labels", self._on_b_labels_action,
                                                 B_SHORTCUT, checkable=True,
                                                 tip=f"Draw model B's labels instead of A's ({B_SHORTCUT})")
        for action in (self.differences_action, self.b_labels_action):
            action.setEnabled(False)
            menus.add_to_menu("view", action, before=None)
        self.dock.show_differences.setChecked(True)
        self.differences_action.setChecked(True)
        self.dock.show_differences.toggled.connect(self._on_layers_toggled)
        self.dock.show_b_labels.toggled.connect(self._on_layers_toggled)
        window.actions_.opacity_slider.valueChanged.connect(self._on_layers_toggled)

        self.worker.compareModelChanged.connect(self._on_model_b)
        self.worker.compareModelFailed.connect(self._on_model_b_failed)
        self.worker.compareReady.connect(self._on_ready)
        self.worker.compareFailed.connect(self._on_failed)
        self.worker.compareDropped.connect(self._on_dropped)
        self.viewer.resultShown.connect(self._on_result_shown)
        self.viewer.currentChanged.connect(self._on_current_changed)
        self.viewer.modelChanged.connect(self._on_model_a)
        window.view.cursorMoved.connect(self._on_cursor)

    # --- choosing and dropping model B -------------------------------------------------------
    def comparing(self) -> bool:
        return self.model_b is not None

    def choose_model(self) -> None:
        start = str(Path(self.window.settings.weights()).parent) if self.window.settings.weights() else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Compare With Model", start, WEIGHTS_FILTER)
        if path:
            self.start(Path(path))

    def start(self, path: Path) -> None:
        """Load ``path`` as model B (in the worker; a refused file changes nothing)."""
        self.loading = True
        self.window.statusBar().showMessage(f"Loading {Path(path).name} to compare with...")
        self.worker.load_compare(path)

    def stop(self) -> None:
        """Comparison off: the worker drops model B and its memory."""
        self._wanted = 0
        self.worker.clear_compare()

    @Slot(object)
    def _on_model_b(self, info: ModelInfo | None) -> None:
        self.loading = False
        self.model_b = info
        self.cache.clear()
        self.shown = None
        self._apply_layers()
        for action in (self.stop_action, self.differences_action, self.b_labels_action):
            action.setEnabled(info is not None)
        if info is None:
            for layer in (self.overlay, self.b_photo, self.b_fill):
                layer.clear()
            self.dock.hide()
            self.window.statusBar().showMessage("Comparison off: the second model was released", 8000)
            return
        self.window.statusBar().showMessage(f"Comparing with {info.meta.display_name}", 8000)
        self._on_model_a(self.viewer.model)
        if not self.dock.isVisible():
            self.dock.show()
            # the figures and about eight table rows; the legend above keeps about eight classes
            self.window.resizeDocks([self.window.legend, self.dock], [ROOM_LEGEND, ROOM], Qt.Orientation.Vertical)
        if self._item is not None:
            self._ask(self._item)
        else:
            self.dock.set_waiting("Open an image: both models segment it.")

    @Slot(str)
    def _on_model_b_failed(self, text: str) -> None:
        self.loading = False
        kept = f"\n\nStill comparing with {self.model_b.meta.display_name}." if self.model_b else ""
        self.window.messages.show_message(text + kept, "error")
        self.window.statusBar().showMessage("The model to compare with was refused", 8000)

    @Slot(object)
    def _on_model_a(self, info: ModelInfo | None) -> None:
        if self.model_b is not None:
            self.dock.set_models(info.meta.display_name if info else "(no model)", self.model_b.meta.display_name)

    # --- one comparison per image shown -------------------------------------------------------
    def _key(self, item: CachedView) -> Hashable:
        path = self.viewer.shown_path
        base = self.viewer.state.key(path) if path is not None else ("array", id(item))
        token = self.model_b.token if self.model_b else 0
        return (base, token, item.classes is None)  # labels read from disk are not the model's

    @Slot(object)
    def _on_result_shown(self, item: CachedView) -> None:
        self._item = item
        if self.model_b is not None:
            self._ask(item)

    def _ask(self, item: CachedView) -> None:
        kept = self.cache.get(self._key(item))
        if kept is not None and kept.labels_a() is item.result.labels:
            self._wanted = 0
            self._draw(kept)
            return
        classes = self.viewer.classes()
        if classes is None:
            return
        request = CompareRequest(0, self._key(item), item.image, item.result.labels, tuple(classes.names),
                                 item.result.protocol)
        self._wanted = self.worker.submit_compare(request)
        self._asked[self._wanted] = weakref.ref(item.result.labels)
        self._hide_answer("Segmenting with B...")

    def _hide_answer(self, text: str) -> None:
        self.shown = None
        self._apply_layers()
        self.dock.set_waiting(text)

    @Slot(object)
    def _on_current_changed(self, _path: object) -> None:
        self._item = None  # until the new image's result is on screen
        if self.model_b is not None:
            self._hide_answer("Waiting for A's result...")

    @Slot(int, CompareOutcome)
    def _on_ready(self, rid: int, outcome: CompareOutcome) -> None:
        ref = self._asked.pop(rid, None)
        if ref is None or self.model_b is None or outcome.model_token != self.model_b.token:
            return  # an answer from a model B since dropped
        kept = _Kept(outcome, ref)
        self.cache.put(outcome.key, kept)
        if rid == self._wanted:
            self._wanted = 0
            self._draw(kept)

    @Slot(int, str)
    def _on_failed(self, rid: int, text: str) -> None:
        self._asked.pop(rid, None)
        if rid == self._wanted:
            self._hide_answer(text)
            self.window.messages.show_message(text, "warning")

    @Slot(int)
    def _on_dropped(self, rid: int) -> None:
        self._asked.pop(rid, None)

    # --- drawing ---------------------------------------------------------------------------------
    def _draw(self, kept: _Kept) -> None:
        self.shown = kept
        outcome = kept.outcome
        self.overlay.setImage(outcome.disagreement, autoLevels=False, levels=(0, 1), lut=DIFFERENCE_LUT)
        height, width = outcome.disagreement.shape
        self.overlay.setRect(QRectF(0, 0, width, height))
        if self._item is not None:
            photo = self._item.image
            if photo.dtype == np.uint8:
                self.b_photo.setLevels(None, update=False)  # as the view draws the photo (no rescale)
                self.b_photo.setImage(photo, autoLevels=False)
            else:
                self.b_photo.setImage(photo, autoLevels=False, levels=(0, 255))
            self.b_photo.setRect(QRectF(0, 0, width, height))
        if self.model_b is not None:
            count = len(self.model_b.meta.classes)
            self.b_fill.setImage(outcome.labels_b, autoLevels=False, levels=mask_levels(count),
                                 lut=overlay_lut(self.model_b.meta.classes.palette))
            self.b_fill.setRect(QRectF(0, 0, width, height))
        self._apply_layers()
        classes = self.viewer.classes()
        item = self._item
        if item is not None and item.classes is not None and self.model_b is not None:  # review: saved labels
            self.dock.set_models(f"the saved labels ({item.classes.describe()})", self.model_b.meta.display_name)
        else:
            self._on_model_a(self.viewer.model)
        palette_a = classes.palette if classes is not None else np.zeros((0, 3), np.uint8)
        palette_b = self.model_b.meta.classes.palette if self.model_b else np.zeros((0, 3), np.uint8)
        self.dock.show_agreement(outcome.agreement, palette_a.tolist(), palette_b.tolist(), outcome.seconds)

    def _on_differences_action(self, checked: bool) -> None:
        self.dock.show_differences.setChecked(checked)

    def _on_b_labels_action(self, checked: bool) -> None:
        self.dock.show_b_labels.setChecked(checked)

    @Slot(int, int)
    def _on_cursor(self, x: int, y: int) -> None:
        """What each model says under the pointer (the status bar reads out A only)."""
        kept, classes = self.shown, self.viewer.classes()
        labels_a = kept.labels_a() if kept is not None else None
        if kept is None or labels_a is None or classes is None or self.model_b is None:
            return
        labels_b = kept.outcome.labels_b
        if not (0 <= y < labels_b.shape[0] and 0 <= x < labels_b.shape[1]):
            self.dock.set_cursor("")
            return
        self.dock.set_cursor(f"Under the pointer: A {_name(classes.names, int(labels_a[y, x]))}, "
                             f"B {_name(self.model_b.meta.classes.names, int(labels_b[y, x]))}")

    @Slot()
    def _on_layers_toggled(self) -> None:
        self.differences_action.setChecked(self.dock.show_differences.isChecked())
        self.b_labels_action.setChecked(self.dock.show_b_labels.isChecked())
        self._apply_layers()

    def _apply_layers(self) -> None:
        """The disagreement and B's labels over the photo, as the dock's boxes say, for an answer
        of the image on screen only."""
        here = self.shown is not None
        self.overlay.setVisible(here and self.dock.show_differences.isChecked())
        self.b_photo.setVisible(here and self.dock.show_b_labels.isChecked())
        self.b_fill.setVisible(self.b_photo.isVisible())
        self.b_fill.setOpacity(self.window.actions_.opacity_slider.value() / 100)
