"""The viewer's logic: which image is shown, where its result comes from, what is drawn.

It connects the worker to the view and the docks, so the main window only
composes widgets and menus. The state and its rules are Qt-free
(app.viewing.state.ViewerState, unit-tested without widgets); this QObject feeds it
the worker's signals and draws what it decides. Results are accepted only for the
request the user is waiting for (stale ones go to the cache, never to the screen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.gui.batch.saved_labels import SAVED_DEVICE
from app.gui.docks import FolderDock, ItemStatus, LegendDock
from app.gui.files import list_images
from app.gui.image_view import SegmentationView
from app.gui.status_readout import StatusReadout
from app.gui.worker import NO_MODEL_MESSAGE, InferenceWorker
from app.gui.worker_types import ImageLoaded, ModelInfo, SegmentOutcome
from app.viewing.cache import CachedView
from app.viewing.state import SAVED, ViewerState

T = TypeVar("T")


class _InState(Generic[T]):
    """``viewer.name`` reads and writes ``viewer.state.name`` (the links set a few of them)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, viewer: "Viewer | None", owner: type | None = None) -> T:
        return getattr(viewer.state, self.name)  # type: ignore[union-attr]

    def __set__(self, viewer: "Viewer", value: T) -> None:
        setattr(viewer.state, self.name, value)


class Viewer(QObject):
    message = Signal(str, str)        # level ('info'|'warning'|'error'), text
    modelMissing = Signal(str)        # text; the window offers "Open Weights..."
    modelChanged = Signal(object)     # ModelInfo
    currentChanged = Signal(object)   # Path | None
    resultShown = Signal(object)      # CachedView (image + SegmentationResult)
    previewShown = Signal(object)     # SegmentationResult: a big photo's quick labels, drawn until the exact ones

    model: _InState[ModelInfo | None] = _InState()
    protocol: _InState[str] = _InState()
    capture: _InState[bool] = _InState()
    show_saved: _InState[bool] = _InState()
    saved_results: _InState[Any] = _InState()
    leave_guard: _InState[Any] = _InState()
    threshold: _InState[Any] = _InState()
    folder_path: _InState[Path | None] = _InState()
    paths: _InState[list[Path]] = _InState()
    current: _InState[Path | None] = _InState()
    current_id: _InState[int] = _InState()
    shown: _InState[CachedView | None] = _InState()
    shown_path: _InState[Path | None] = _InState()
    stale_results: _InState[int] = _InState()
    cache: _InState[Any] = _InState()

    def __init__(self, worker: InferenceWorker, view: SegmentationView, legend: LegendDock,
                 folder: FolderDock, readout: StatusReadout, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker, self.view, self.legend, self.folder, self.readout = worker, view, legend, folder, readout
        self.state = ViewerState()
        self.display = self.state.display  # hidden classes and the highlight (the legend shows it)
        legend.bind(self.display)
        self.uncertain_pixels = 0  # of the shown image, under the threshold
        self._hatched = False  # the drawn labels and table carry the hatch entries
        worker.imageLoaded.connect(self._on_image_loaded)
        worker.requestStarted.connect(self._on_started)
        worker.progress.connect(self._on_progress)
        worker.previewReady.connect(self._on_preview)
        worker.resultReady.connect(self._on_result)
        worker.requestFailed.connect(self._on_failed)
        worker.requestDropped.connect(self._on_dropped)
        worker.modelReady.connect(self._on_model_ready)
        worker.modelFailed.connect(self.modelMissing)  # signal to signal: stays queued
        view.cursorMoved.connect(self._on_cursor)
        view.pixelClicked.connect(self._on_pixel_clicked)
        self.display.visibility.connect(lambda _visible: self._refresh_lut())
        self.display.highlight_changed.connect(lambda _index: self._refresh_lut())
        folder.imageSelected.connect(self.show)

    # --- opening -----------------------------------------------------------------------
    def may_leave(self) -> bool:
        return self.state.may_leave()

    def remember(self, path: Path, item: CachedView) -> None:
        """Keep ``item`` as ``path``'s saved labels (edited labels just saved): shown while saved
        labels are, never as the model's prediction."""
        self.cache.put(self.state.key(path, SAVED), item)

    def open_path(self, path: Path) -> bool:
        path = Path(path)
        if not self.may_leave():
            return False
        if path.is_dir():
            return self.open_folder(path)
        return self.open_image(path)

    def open_folder(self, folder: Path) -> bool:
        folder = Path(folder).resolve()
        paths = list_images(folder)
        if not paths:
            self.message.emit("warning", f"{folder} holds no images (looked for the usual "
                                         "JPEG, PNG, BMP, TIFF, WebP and GIF files).")
            return False
        self._set_folder(folder, paths)
        self.show(paths[0])
        return True

    def open_image(self, path: Path) -> bool:
        path = Path(path).resolve()
        if not path.exists():
            self.message.emit("error", f"{path} does not exist.")
            return False
        if path.parent != self.folder_path:
            siblings = list_images(path.parent)
            self._set_folder(path.parent, siblings if path in siblings else [path])
        self.show(path)
        return True

    def _set_folder(self, folder: Path, paths: list[Path]) -> None:
        self.folder_path, self.paths = folder, paths
        self.folder.set_folder(folder, paths)

    def navigate(self, step: int) -> None:
        """The previous/next image in the folder list's order (its sort and filter)."""
        target = self.folder.neighbour(self.current, step)
        if target is not None and target != self.current:
            self.show(target)

    def show(self, path: Path) -> None:
        """Show ``path``: from the cache when it is there, else ask the worker."""
        path = Path(path)
        if not self.may_leave():
            if self.current is not None:
                self.folder.select(self.current)  # the list goes back to the image kept
            return
        cached = self.state.ask_for(path)
        self.folder.select(path)
        self.currentChanged.emit(path)
        if cached is not None:
            self.worker.cancel_segment()
            self._display(cached, path)
            return
        self._submit(path)

    def rerun(self) -> None:
        """Run the current image again (new model, device, precision or protocol)."""
        if self.current is not None:
            self.show(self.current)

    def set_protocol(self, name: str) -> None:
        if name != self.protocol:
            self.protocol = name
            self.rerun()

    def _submit(self, path: Path | None, image: Any = None) -> int:
        rid = self.worker.submit_segment(path=path, image=image, protocol=self.protocol, capture=self.capture)
        self.state.sent(rid, path)
        return rid

    def segment_array(self, image: Any, name: str = "image") -> int:
        """Show and segment an in-memory image (tests, pasted images)."""
        if not self.may_leave():
            return 0
        self.state.segment_array(image)
        self.view.set_image(image)
        return self._submit(None, image)

    # --- worker signals ---------------------------------------------------------------------
    def _on_image_loaded(self, rid: int, loaded: ImageLoaded) -> None:
        keep_view = self.state.photo_arrived(rid, loaded.path, loaded.image)
        if keep_view is not None:
            self.view.set_image(loaded.image, keep_view=keep_view)

    def _on_started(self, rid: int) -> None:
        path = self.state.request_path(rid)
        if path is not None:
            self.folder.set_status(path, ItemStatus.RUNNING)
        if rid == self.current_id:
            self.readout.set_busy(True)

    def _on_progress(self, rid: int, done: int, total: int) -> None:
        if rid == self.current_id:
            self.readout.set_busy(True, done, total)

    def _on_preview(self, rid: int, outcome: SegmentOutcome) -> None:
        """Draw a big photo's quick labels (smaller than the photo, stretched over it) while
        the exact ones are computed. Never cached, never ``shown`` (nothing edits, exports or
        reads out a preview); the exact result replaces it, and one for a request the user
        left is ignored."""
        if rid != self.current_id or rid == 0:
            return
        result = outcome.result
        self.view.set_result(result.labels, result.confidence, self._lut())
        self.display.show_counts(result.class_counts, self._palette())  # the legend's areas, from the preview
        self.previewShown.emit(result)

    def _on_result(self, rid: int, outcome: SegmentOutcome) -> None:
        item = CachedView(outcome.image, outcome.result, layers=outcome.layers)
        path, on_screen = self.state.result_arrived(rid, item, outcome.model_token, outcome.path)
        if path is not None:
            self.folder.set_status(path, ItemStatus.DONE, f"{outcome.result.seconds:.2f} s on {outcome.result.device}")
        if on_screen:
            self._display(item, path)

    def _on_failed(self, rid: int, text: str) -> None:
        path, current = self.state.request_ended(rid)
        if path is not None:
            self.folder.set_status(path, ItemStatus.FAILED, text)
        if not current:
            return
        self.readout.set_busy(False)
        if text == NO_MODEL_MESSAGE:
            self.modelMissing.emit(text)
            return
        if self.state.failure_replaces_view(path):
            self.view.set_image(None)
            self.view.set_placeholder(f"Could not show {path.name if path else 'the image'}.\n\n{text}")
        self.message.emit("error", text)

    def _on_dropped(self, rid: int) -> None:
        path, current = self.state.request_ended(rid)
        if path is not None and self.folder.status(path) == ItemStatus.RUNNING:
            self.folder.set_status(path, ItemStatus.PENDING)
        if current:
            self.readout.set_busy(False)

    def _on_model_ready(self, info: ModelInfo) -> None:
        self.state.model_ready(info)
        self.readout.set_device(info.device, info.precision)
        for path in self.paths:
            self.folder.set_status(path, ItemStatus.PENDING)
        self.modelChanged.emit(info)
        if self.current is not None:
            self.show(self.current)

    # --- drawing ------------------------------------------------------------------------
    def classes(self) -> Any:
        """The ClassInfo of what is on screen: labels read from disk carry their own."""
        return self.state.classes()

    def _palette(self) -> np.ndarray:
        return self.state.palette()

    def _lut(self) -> np.ndarray:
        return self.display.lut(self._palette(), hatched=self._hatched)

    def redraw(self) -> None:
        """Draw the shown result again (the threshold changed); the photo and zoom stay."""
        drawn = self.state.drawn()
        if drawn is None or self.shown is None:
            return
        self._hatched, self.uncertain_pixels = drawn.hatched, drawn.uncertain_pixels
        # contours made in the worker fit the result's own labels only, not a hatched copy
        layers = self.shown.layers if not drawn.hatched and drawn.labels is self.shown.result.labels else None
        self.view.set_result(drawn.labels, self.shown.result.confidence, self._lut(), layers)

    def _display(self, item: CachedView, path: Path | None) -> None:
        new_photo, keep_view = self.state.show_item(item, path)
        if new_photo:
            self.view.set_image(item.image, keep_view=keep_view)
        result = item.result
        self.redraw()
        self.readout.set_busy(False)
        # label maps read from disk, or those a Label Folder run saved: no model ran, nothing to time
        from_disk = item.classes is not None or result.device == SAVED_DEVICE
        self.readout.set_timing(None if from_disk else result.seconds, result.protocol.name)
        self.readout.set_device(result.device, self.model.precision if self.model and not from_disk else "")
        for note in result.notes:
            self.message.emit("warning", note)
        self.resultShown.emit(item)

    def _refresh_lut(self) -> None:
        if self.shown is not None and self.classes() is not None:
            self.view.set_lut(self._lut())

    # --- pointer -------------------------------------------------------------------------
    def readout_at(self, x: int, y: int) -> tuple[str | None, float | None]:
        return self.state.readout_at(x, y)

    def _on_cursor(self, x: int, y: int) -> None:
        name, confidence = self.readout_at(x, y)
        self.readout.set_cursor(x, y, name, confidence)
        self.readout.set_zoom(self.view.pixel_scale())

    def _on_pixel_clicked(self, x: int, y: int) -> None:
        if self.shown is not None:
            self.display.toggle_highlight(int(self.shown.result.labels[y, x]))
