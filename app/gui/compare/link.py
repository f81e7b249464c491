"""Model > Compare With Model...: a second checkpoint (model B) segments each image shown.

The worker holds B beside the window's model A (app/gui/worker_compare.py) and answers a
``CompareRequest`` after A's result is on screen: B's labels of the same photo with A's
protocol settings, and their agreement with the labels shown (app.labels.compare, worked
out in the worker). This link sends the requests, keeps the answers (by image, both
models and protocol, like the viewer's cache), draws where A and B disagree as one more
layer over the photo (``layers.py``), and fills the Model Comparison dock. While the label
editor changes the labels shown, ``follow_edits.py`` compares them again with B's labels;
``recent.py`` keeps the checkpoints compared with. Stop Comparing drops B.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Hashable

import numpy as np
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QDockWidget, QFileDialog

from app.gui.compare.dock import CompareDock
from app.gui.compare.follow_edits import Answer, EditFollower
from app.gui.compare.layers import CompareLayers
from app.gui.compare.recent import RecentModels
from app.gui.files import WEIGHTS_FILTER
from app.gui.worker_types import CompareOutcome, CompareRequest, ModelInfo
from app.viewing.cache import CachedView, ResultCache

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

BUDGET_BYTES = 256 * 1024 * 1024  # B's labels and the disagreement maps kept for going back
SHORTCUT, B_SHORTCUT = "D", "Shift+D"
ROOM, ROOM_LEGEND = 520, 260  # heights asked for the dock and the legend above it when comparing starts


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
        self.base: Answer | None = None  # B's answer for the image on screen, as the worker made it
        self.shown: Answer | None = None  # the answer drawn now (the base, or one for edited labels)
        self._item: CachedView | None = None  # A's result on screen
        self._wanted = 0  # the request for the image on screen
        self._asked: dict[int, tuple[weakref.ref[np.ndarray], int]] = {}  # its labels of A, edit count
        self.layers = CompareLayers(window.view.main_pane.view)
        self.overlay, self.b_photo, self.b_fill = self.layers.overlay, self.layers.b_photo, self.layers.b_fill
        self.follower = EditFollower(self)
        self.recent = RecentModels(self)

        menus = window.actions_
        self.compare_action = menus.make_action("Compare With &Model...", self.choose_model,
                                                tip="Segment each image with a second model too and compare")
        self.stop_action = menus.make_action("Stop Comparing", self.stop)
        self.stop_action.setEnabled(False)
        menus.add_to_menu("model", self.compare_action, before="model:card")
        menus.add_to_menu("model", self.recent.menu.menuAction(), before="model:card")
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
        path, _ = QFileDialog.getOpenFileName(self.window, "Compare With Model", self.recent.start_folder(),
                                              WEIGHTS_FILTER)
        if path:
            self.start(Path(path))

    def start(self, path: Path, remembered: bool = False) -> None:
        """Load ``path`` as model B (in the worker; a refused file changes nothing);
        ``remembered``: chosen in Compare With Recent."""
        self.loading = True
        self.recent.loading(Path(path), remembered)
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
        self.base = self.shown = None
        self._apply_layers()
        for action in (self.stop_action, self.differences_action, self.b_labels_action):
            action.setEnabled(info is not None)
        if info is None:
            self.layers.clear()
            self.dock.hide()
            self.window.statusBar().showMessage("Comparison off: the second model was released", 8000)
            return
        self.window.statusBar().showMessage(f"Comparing with {info.meta.display_name}", 8000)
        note = self.recent.loaded(info.source) if info.source else ""
        if note:
            self.window.messages.show_message(note, "info")
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
        note = self.recent.refused()
        kept = f"\n\nStill comparing with {self.model_b.meta.display_name}." if self.model_b else ""
        self.window.messages.show_message(text + (f"\n\n{note}" if note else "") + kept, "error")
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

    def labels_on_screen(self) -> np.ndarray | None:
        """A's labels shown now (the editor's map while it edits them)."""
        shown = self.viewer.shown
        return shown.result.labels if shown is not None else None

    @Slot(object)
    def _on_result_shown(self, item: CachedView) -> None:
        self._item = item
        if self.model_b is not None:
            self._ask(item)

    def _ask(self, item: CachedView) -> None:
        """B's labels of this image: kept (compared again here when A's labels are others, e.g.
        saved edits), else asked of the worker."""
        kept = self.cache.get(self._key(item))
        if kept is not None:
            self._wanted = 0
            self._use(kept)
            return
        classes = self.viewer.classes()
        if classes is None:
            return
        request = CompareRequest(0, self._key(item), item.image, item.result.labels, tuple(classes.names),
                                 item.result.protocol)
        self._wanted = self.worker.submit_compare(request)
        self._asked[self._wanted] = (weakref.ref(item.result.labels), self.follower.edits)
        self._hide_answer("Segmenting with B...")

    def _use(self, base: Answer) -> None:
        """``base`` is B's answer for the image on screen: drawn, or compared again first."""
        self.base = base
        self.follower.sync()

    def _hide_answer(self, text: str) -> None:
        self.base = self.shown = None
        self._apply_layers()
        self.dock.set_waiting(text)

    @Slot(object)
    def _on_current_changed(self, _path: object) -> None:
        self._item = None  # until the new image's result is on screen
        if self.model_b is not None:
            self._hide_answer("Waiting for A's result...")

    @Slot(int, CompareOutcome)
    def _on_ready(self, rid: int, outcome: CompareOutcome) -> None:
        asked = self._asked.pop(rid, None)
        if asked is None or self.model_b is None or outcome.model_token != self.model_b.token:
            return  # an answer from a model B since dropped
        kept = Answer(outcome, *asked)
        self.cache.put(outcome.key, kept)
        if rid == self._wanted:
            self._wanted = 0
            self._use(kept)

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
    def draw(self, answer: Answer) -> None:
        """Show ``answer`` (it fits the labels on screen: follow_edits.py says when)."""
        before, self.shown = self.shown, answer
        outcome = answer.outcome
        self.layers.draw_disagreement(outcome.disagreement)
        if self.model_b is not None and (before is None or before.outcome.labels_b is not outcome.labels_b):
            photo = self._item.image if self._item is not None else None
            self.layers.draw_b(photo, outcome.labels_b, self.model_b.meta.classes.palette)
        self._apply_layers()
        classes, item, labels = self.viewer.classes(), self._item, answer.labels_a()
        edited = " (with your edits)" if labels is not None and self.follower.edited(labels) else ""
        if item is not None and item.classes is not None and self.model_b is not None:  # review: saved labels
            self.dock.set_models(f"the saved labels ({item.classes.describe()}){edited}",
                                 self.model_b.meta.display_name)
        elif self.model_b is not None:
            model_a = self.viewer.model
            self.dock.set_models((model_a.meta.display_name if model_a else "(no model)") + edited,
                                 self.model_b.meta.display_name)
        palette_a = classes.palette if classes is not None else np.zeros((0, 3), np.uint8)
        palette_b = self.model_b.meta.classes.palette if self.model_b else np.zeros((0, 3), np.uint8)
        self.dock.show_agreement(outcome.agreement, palette_a.tolist(), palette_b.tolist(), outcome.seconds)
        self.dock.set_updating("")

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
        self.layers.show(here and self.dock.show_differences.isChecked(), here and self.dock.show_b_labels.isChecked(),
                         self.window.actions_.opacity_slider.value() / 100)
