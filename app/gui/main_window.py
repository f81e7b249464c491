"""The main window: composes the view, docks, menus and the worker; little logic of its own.

What it opens (dialogs, Open Recent, drops) is in window_files.py; its start-up and closing
in window_lifecycle.py. It keeps thin methods of the same names, which menus and tests call.
"""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import QMainWindow, QVBoxLayout, QWidget

from app.gui import dialogs
from app.gui.actions import WindowActions
from app.gui.batch import BatchLink
from app.gui.compare import CompareLink
from app.gui.confidence_bar import ConfidenceBar
from app.gui.dock_layout import raise_when_shown, tabify_behind
from app.gui.docks import FolderDock, LegendDock
from app.gui.editor import EditorLink
from app.gui.export import export_current
from app.gui.graph_builds import GraphBuilds
from app.gui.image_view import SegmentationView
from app.gui.view_pane import confidence_lut
from app.gui.message_bar import MessageBar
from app.gui.model_status import ModelStatus
from app.gui.review import ReviewLink
from app.gui.save_location import SaveLocation
from app.gui.settings import AppSettings
from app.gui.status_readout import StatusReadout
from app.gui.viewer import Viewer
from app.gui.window_files import WindowFiles
from app.gui.window_lifecycle import FirstPaint, WindowLifecycle
from app.gui.window_state import WindowStateSync
from app.gui.worker import InferenceWorker
from app.gui.worker_types import ModelInfo
from app.viewing.cache import CachedView

if TYPE_CHECKING:
    from app.gui.export_dataset import ExportDatasetLink
    from app.gui.inspector_link import InspectorLink
    from app.gui.published_models import PublishedModelsLink


class MainWindow(QMainWindow):
    # built in __init__, or by start() after the first paint when deferred (defer_extras)
    inspector: "InspectorLink"
    export_dataset: "ExportDatasetLink"
    published_models: "PublishedModelsLink"
    _confidence_on = False

    def __init__(self, settings: AppSettings | None = None, device: str | None = None,
                 defer_extras: bool = False) -> None:
        """``defer_extras``: build the inspector dock (its plots are the most expensive part
        of the window), File > Export Dataset and Get Published Models (their modules bring
        the export formats and HTTP) in ``start``, after the first paint, instead of here."""
        super().__init__()
        self.settings = settings or AppSettings()
        self.setWindowTitle("PSPNet Studio")
        self.setAcceptDrops(True)
        self.resize(1400, 880)
        self.view = SegmentationView()
        self.messages = MessageBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.messages)
        layout.addWidget(self.view, 1)
        self.confidence_bar = ConfidenceBar(confidence_lut())  # under the image in the confidence view
        self.confidence_bar.hide()
        layout.addWidget(self.confidence_bar)
        self.setCentralWidget(central)
        self.legend = LegendDock(self)
        self.folder = FolderDock(self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.legend)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.folder)
        self.readout = StatusReadout(self.statusBar())
        self.device = device or self.settings.device()
        self.worker = InferenceWorker(self.device, self.settings.precision(), self.settings.backend())
        self.viewer = Viewer(self.worker, self.view, self.legend, self.folder, self.readout, self)
        self.viewer.protocol = self.settings.protocol()
        # save dialogs start in the last folder saved into, else the image's, with its name
        self.save_location = SaveLocation(self.settings, lambda: self.viewer.shown_path)
        self.files = WindowFiles(self)
        self.lifecycle = WindowLifecycle(self)
        self.actions_ = WindowActions(self)
        self.addToolBar(self.actions_.toolbar)
        self.batch = BatchLink(self)
        self.model_status = ModelStatus(self)  # the status bar names the model and what it knows
        self.graph_builds = GraphBuilds(self)  # ONNX graphs the worker lacks, built in a child process
        self.state_sync = WindowStateSync(self)  # title, read-out and messages follow what is shown
        self.review = ReviewLink(self)  # after the batch: its saved results come first
        self.editor = EditorLink(self)  # after batch and review: it asks them where labels live
        self.compare = CompareLink(self)  # Model > Compare With Model...: a second model's labels
        for dock in (self.folder, self.legend):
            self.actions_.docks_menu.addAction(dock.toggleViewAction())
        self.actions_.docks_menu.addAction(self.batch.dock.toggleViewAction())
        self.resizeDocks([self.folder, self.legend], [350, 250], Qt.Orientation.Horizontal)
        raise_when_shown(self.legend)
        raise_when_shown(self.review.threshold_dock)
        if self.settings.window_state() is None:  # the default; a saved layout has its own tabs
            # (tabified here and restored as well, Qt left a stray 'Legend' tab bar at the top left)
            tabify_behind(self, self.legend, self.review.threshold_dock)
        if not defer_extras:
            self.lifecycle.build_extras()
        self._connect()
        self.lifecycle.restore_last_session()

    # --- set-up ----------------------------------------------------------------------
    def _connect(self) -> None:
        a = self.actions_
        a.opacity_slider.valueChanged.connect(self.show_opacity)
        self.viewer.message.connect(self.state_sync.show_viewer_message)  # tagged with their image
        self.viewer.modelMissing.connect(self.show_model_missing)
        self.viewer.modelChanged.connect(self._on_model_ready)
        self.viewer.currentChanged.connect(self._on_current_changed)
        # Worker signals go to bound methods of GUI-thread objects only: a lambda has no
        # thread affinity, so Qt would call it in the worker thread.
        self.worker.modelLoading.connect(self._on_model_loading)
        self.worker.devicesAvailable.connect(self._on_devices)
        self.viewer.resultShown.connect(self._on_result_backend)

    def after_first_paint(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the window has been painted (or after a fallback delay)."""
        FirstPaint(self, callback)

    def start(self, weights: str | Path | None, target: str | Path | None) -> None:
        """Build what was deferred, start the worker (torch loads there), then the model and
        the first image."""
        self.lifecycle.start(weights, target)

    # --- file (window_files.py) -------------------------------------------------------------
    def open_image_dialog(self) -> None:
        self.files.open_image_dialog()

    def open_folder_dialog(self) -> None:
        self.files.open_folder_dialog()

    def open_weights_dialog(self) -> None:
        self.files.open_weights_dialog()

    def open_path(self, path: Path) -> None:
        self.files.open_path(path)

    def load_weights(self, path: Path) -> None:
        self.files.load_weights(path)

    def fill_recent_menu(self) -> None:
        self.files.fill_recent_menu()

    def export_current(self, kind: str) -> None:
        export_current(self, kind)

    # --- view -------------------------------------------------------------------------
    def set_overlay_mode(self, mode: str) -> None:
        self.view.set_overlay_mode(mode)
        self.actions_.mode_actions[mode].setChecked(True)
        self.settings.set_overlay_mode(mode)
        if mode != "hidden":
            self._mode_before_hidden = mode
        self._show_confidence_bar()

    def toggle_overlay(self) -> None:
        hidden = self.view.overlay_mode() == "hidden"
        self.set_overlay_mode(getattr(self, "_mode_before_hidden", "fill") if hidden else "hidden")

    def step_opacity(self, delta: int) -> None:
        slider = self.actions_.opacity_slider
        slider.setValue(max(0, min(100, slider.value() + delta)))

    def show_opacity(self, value: int) -> None:
        self.view.set_opacity(value)
        self.actions_.opacity_label.setText(f"  Opacity {value:3d} %")
        self.settings.set_opacity(value)

    def set_side_by_side(self, on: bool) -> None:
        self.view.set_side_by_side(bool(on))

    def set_confidence_map(self, on: bool) -> None:
        self.view.set_confidence_map(bool(on))
        self._confidence_on = bool(on)
        self._show_confidence_bar()

    def _show_confidence_bar(self) -> None:
        """The bar while the confidence colours are drawn (Hidden draws none)."""
        self.confidence_bar.setVisible(self._confidence_on and self.view.overlay_mode() != "hidden")

    # --- model -----------------------------------------------------------------------
    def set_device(self, name: str) -> None:
        self.device = name
        self.settings.set_device(name)
        self.worker.configure(device=name)

    def set_precision(self, name: str) -> None:
        self.settings.set_precision(name)
        self.worker.configure(precision=name)

    def set_backend(self, name: str) -> None:
        """PyTorch, ONNX Runtime or Automatic for the window's model and the Label Folder batch."""
        self.settings.set_backend(name)
        self.actions_.backend_actions[name].setChecked(True)
        if name == "torch":
            self.graph_builds.cancel()  # nothing will use the graph now
        self.worker.configure(backend=name)

    def set_protocol(self, name: str) -> None:
        self.settings.set_protocol(name)
        self.viewer.set_protocol(name)

    def show_model_card(self) -> None:
        if self.viewer.model is None:
            self.messages.show_message("No model is loaded yet.", "info")
            return
        dialogs.show_model_card(self.viewer.model, self)

    def _on_model_ready(self, info: ModelInfo) -> None:
        if info.source:
            self.settings.set_weights(info.source)
        if self.messages.level == "error":
            self.messages.dismiss()
        self.statusBar().showMessage(f"Loaded {info.meta.display_name} on {info.device}", 8000)  # the chip stays
        self.readout.set_backend(info.backend, None, info.backend_note)
        if info.backend_note:
            self.messages.show_message(info.backend_note, "warning", timeout_ms=20000)
        self.view.setFocus()
        self._on_current_changed(self.viewer.current)

    def _on_result_backend(self, item: CachedView) -> None:
        model = self.viewer.model
        if model is not None and item.classes is None:  # labels read from disk: no forward ran
            self.readout.set_backend(model.backend, item.result.backend, model.backend_note)

    def _on_model_loading(self, path: str) -> None:
        self.statusBar().showMessage(f"Loading weights {Path(path).name}...")

    def _on_devices(self, names: list[str]) -> None:
        self.actions_.set_devices(names, self.device)

    def show_model_missing(self, text: str) -> None:
        kept = self.viewer.model  # a refused file leaves the loaded model in place
        if kept is None:
            self.statusBar().showMessage("No model loaded: File > Open Weights")
        else:
            self.statusBar().showMessage(f"Still using {kept.meta.display_name}: the new weights were refused")
            text += f"\n\nStill using {kept.meta.display_name}."
        self.messages.show_message(text, "error", "Open Weights...", self.open_weights_dialog)

    def _on_current_changed(self, _path: Path | None) -> None:
        self.state_sync.update_title()  # names the image on screen, not the one still loading

    # --- help ------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        dialogs.show_shortcuts(self, self.actions())

    def show_about(self) -> None:
        dialogs.show_about(self)

    # --- showing, drag and drop, closing -------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not event.spontaneous():
            # On a bare X server (no window manager) nothing gives a new window the keyboard
            # focus, so no shortcut would work; with one, this is what it does anyway.
            self.raise_()
            self.activateWindow()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        self.files.drag_enter(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.files.drop(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.lifecycle.may_close():
            event.ignore()
            return
        self.lifecycle.shut_down()
        event.accept()
