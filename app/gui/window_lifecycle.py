"""The window's start and end: putting back the last session (layout and choices), the
extras built after the first paint, starting the worker with the model and first image,
and closing (asking first, then saving the layout and stopping every thread).

Start-up order (app/gui/launch.py): the window is built and shown, ``after_first_paint``
waits for its first paint, then ``start`` builds the deferred extras and starts the worker,
so neither the inspector's plots nor the torch import delay the first picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

FIRST_PAINT_FALLBACK_MS = 1500  # a window that is never painted (minimised, hidden) still starts
NO_WEIGHTS = "No weights are set and the default model (weights/pspnet_scenes.safetensors) is not installed."


class WindowLifecycle:
    """The window keeps it as ``lifecycle``; ``restored`` says whether the last session's
    layout has been put back (docks built later need it put back again)."""

    def __init__(self, window: "MainWindow") -> None:
        self.w = window
        self.restored = False

    # --- start -----------------------------------------------------------------------------
    def restore_last_session(self) -> None:
        """Geometry, dock layout and the View/Model choices of the last session."""
        w, s = self.w, self.w.settings
        self.restored = True  # docks built from now on need this layout put back (build_extras)
        if (geometry := s.geometry()) is not None:
            w.restoreGeometry(geometry)
        if (state := s.window_state()) is not None:
            w.restoreState(state)
        self._hide_session_docks()
        w.actions_.opacity_slider.setValue(s.opacity())
        w.show_opacity(s.opacity())  # also when the slider's value did not change (no signal)
        mode = s.overlay_mode() if s.overlay_mode() in w.actions_.mode_actions else "fill"
        w.set_overlay_mode(mode)
        w.actions_.protocol_actions[w.viewer.protocol].setChecked(True)
        w.actions_.precision_actions[s.precision()].setChecked(True)
        w.actions_.backend_actions[s.backend()].setChecked(True)
        w.readout.set_backend(s.backend())
        w.actions_.set_devices(["auto", "cpu"], w.device)
        w.statusBar().showMessage("Starting the inference engine...")
        w.view.setFocus()

    def _hide_session_docks(self) -> None:
        self.w.batch.dock.hide()  # last session's run is over: the dock comes back with the next run
        self.w.compare.dock.hide()  # and no model B is loaded at start

    def build_extras(self) -> None:
        """The inspector dock, File > Export Dataset and Get Published Models."""
        # imported here: their imports are part of the cost that waits for the first paint
        from app.gui.export_dataset import ExportDatasetLink  # noqa: PLC0415
        from app.gui.inspector_link import InspectorLink  # noqa: PLC0415
        from app.gui.published_models import PublishedModelsLink  # noqa: PLC0415

        w = self.w
        w.export_dataset = ExportDatasetLink(w)  # File > Export Dataset..., below Label Folder
        w.published_models = PublishedModelsLink(w)  # Model/Help > Get Published Models...
        w.inspector = InspectorLink(w)
        w.inspector.dock.save_location = w.save_location  # its saves are named after the image
        w.actions_.add_to_menu("view", w.inspector.action)
        w.actions_.toolbar.addAction(w.inspector.action)
        if self.restored and (state := w.settings.window_state()) is not None:
            # built after restoreState: the same state again puts it where the last session
            # left it (restoreDockWidget would not, as the link has added it already)
            w.restoreState(state)
            self._hide_session_docks()

    def start(self, weights: str | Path | None, target: str | Path | None) -> None:
        if not hasattr(self.w, "inspector"):
            self.build_extras()
        self.w.worker.start()
        if weights:
            self.w.worker.load_weights(weights)
        else:
            self.w.show_model_missing(NO_WEIGHTS)
        if target:
            self.w.viewer.open_path(Path(target))

    # --- end -------------------------------------------------------------------------------
    def may_close(self) -> bool:
        """Unsaved label edits: save, discard or stay; a running batch: asks first."""
        return self.w.editor.confirm_leave() and self.w.batch.confirm_close()

    def shut_down(self) -> None:
        """Saves the layout, then stops the threads and child processes."""
        w = self.w
        w.settings.save_window(w.saveGeometry(), w.saveState())
        w.settings.sync()
        w.folder.thumbnails.shutdown(500)
        if hasattr(w, "published_models"):  # (closed before start: never built)
            w.published_models.shutdown()  # a running download stops and leaves nothing
        w.editor.shutdown()
        w.graph_builds.shutdown()
        w.worker.shutdown(2000)
        w.batch.finish_for_close()


class FirstPaint(QObject):
    """Runs a callback once, in the event loop after the window's first paint event."""

    def __init__(self, window: QMainWindow, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._window, self._callback, self._done = window, callback, False
        window.installEventFilter(self)
        QTimer.singleShot(FIRST_PAINT_FALLBACK_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._window and event.type() == QEvent.Type.Paint and not self._done:
            QTimer.singleShot(0, self, self._run)  # after this paint has reached the screen
        return False

    def _run(self) -> None:
        if self._done:
            return
        self._done = True
        self._window.removeEventFilter(self)
        self._callback()
