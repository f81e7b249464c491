"""The viewer's logic: which image is shown, where its result comes from, what is drawn.

It connects the worker to the view and the docks, so the main window only
composes widgets and menus. Results are accepted only for the request the user
is waiting for (stale ones go to the cache, never to the screen).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from app.gui.docks import FolderDock, ItemStatus, LegendDock
from app.gui.files import list_images
from app.gui.image_view import SegmentationView
from app.gui.rendering import hatched_labels, hatched_lut, overlay_lut
from app.gui.result_cache import CachedView, ResultCache
from app.gui.status_readout import StatusReadout
from app.gui.worker import NO_MODEL_MESSAGE, InferenceWorker
from app.gui.worker_types import ImageLoaded, ModelInfo, SegmentOutcome
from app.labels.threshold import ConfidenceThreshold, below_threshold


class Viewer(QObject):
    message = Signal(str, str)        # level ('info'|'warning'|'error'), text
    modelMissing = Signal(str)        # text; the window offers "Open Weights..."
    modelChanged = Signal(object)     # ModelInfo
    currentChanged = Signal(object)   # Path | None
    resultShown = Signal(object)      # CachedView (image + SegmentationResult)

    def __init__(self, worker: InferenceWorker, view: SegmentationView, legend: LegendDock,
                 folder: FolderDock, readout: StatusReadout, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker, self.view, self.legend, self.folder, self.readout = worker, view, legend, folder, readout
        self.cache = ResultCache()
        self.model: ModelInfo | None = None
        self.protocol = "fast"
        self.capture = False  # the PPM inspector turns this on
        # Results that need no model (a batch run's saved label maps); not used while capturing.
        self.saved_results: Callable[[Path], CachedView | None] | None = None
        self.folder_path: Path | None = None
        self.paths: list[Path] = []
        self.current: Path | None = None
        self.current_id = 0
        self.shown: CachedView | None = None
        self.shown_path: Path | None = None  # the photo on screen (its result may be pending)
        self.stale_results = 0  # results that arrived after the user moved on (dropped)
        # Uncertain pixels are drawn hatched while this is active (the review panel sets it).
        self.threshold = ConfidenceThreshold()
        self._hatched = False  # the drawn labels and table carry the hatch entries
        self.uncertain_pixels = 0  # of the shown image, under the threshold
        self._legend_names: tuple[str, ...] = ()
        self._request_paths: dict[int, Path | None] = {}
        # Asked before the shown labels are replaced (the editor: unsaved edits); False stays.
        self.leave_guard: Callable[[], bool] | None = None
        worker.imageLoaded.connect(self._on_image_loaded)
        worker.requestStarted.connect(self._on_started)
        worker.progress.connect(self._on_progress)
        worker.resultReady.connect(self._on_result)
        worker.requestFailed.connect(self._on_failed)
        worker.requestDropped.connect(self._on_dropped)
        worker.modelReady.connect(self._on_model_ready)
        worker.modelFailed.connect(self.modelMissing)  # signal to signal: stays queued
        view.cursorMoved.connect(self._on_cursor)
        view.pixelClicked.connect(self._on_pixel_clicked)
        legend.classVisibilityChanged.connect(lambda _v: self._refresh_lut())
        legend.highlightChanged.connect(lambda _i: self._refresh_lut())
        folder.imageSelected.connect(self.show)

    # --- opening -----------------------------------------------------------------------
    def may_leave(self) -> bool:
        return self.leave_guard is None or self.leave_guard()

    def remember(self, path: Path, item: CachedView) -> None:
        """Keep ``item`` as ``path``'s result (edited labels just saved)."""
        self.cache.put(self._key(path), item)

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
        self.current = path
        self.folder.select(path)
        self.currentChanged.emit(path)
        cached = self.cache.get(self._key(path))
        if cached is None and self.saved_results is not None and not self.capture:
            cached = self.saved_results(path)
            if cached is not None:
                self.cache.put(self._key(path), cached)
        if cached is not None:
            self.worker.cancel_segment()
            self.current_id = 0
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
        self.current_id = rid
        self._request_paths[rid] = path
        return rid

    def segment_array(self, image: Any, name: str = "image") -> int:
        """Show and segment an in-memory image (tests, pasted images)."""
        if not self.may_leave():
            return 0
        self.current = None
        self.view.set_image(image)
        return self._submit(None, image)

    def _key(self, path: Path | None) -> tuple[Any, ...]:
        token = self.model.token if self.model else 0
        return (str(path), token, self.protocol, self.capture)

    # --- worker signals ---------------------------------------------------------------------
    def _on_image_loaded(self, rid: int, loaded: ImageLoaded) -> None:
        if rid == self.current_id:
            same = self.shown is not None and loaded.path is not None and loaded.path == self.shown_path
            self.shown = None
            self.view.set_image(loaded.image, keep_view=same)
            self.legend.show_counts(None, self._palette())
            self.shown_path = loaded.path

    def _on_started(self, rid: int) -> None:
        path = self._request_paths.get(rid)
        if path is not None:
            self.folder.set_status(path, ItemStatus.RUNNING)
        if rid == self.current_id:
            self.readout.set_busy(True)

    def _on_progress(self, rid: int, done: int, total: int) -> None:
        if rid == self.current_id:
            self.readout.set_busy(True, done, total)

    def _on_result(self, rid: int, outcome: SegmentOutcome) -> None:
        path = self._request_paths.pop(rid, outcome.path)
        item = CachedView(outcome.image, outcome.result)
        if self.model is not None and outcome.model_token == self.model.token and path is not None:
            self.cache.put((str(path), outcome.model_token, outcome.result.protocol.name, self.capture), item)
        if path is not None:
            self.folder.set_status(path, ItemStatus.DONE, f"{outcome.result.seconds:.2f} s on {outcome.result.device}")
        if rid != self.current_id:
            self.stale_results += 1
            return
        self.current_id = 0
        self._display(item, path)

    def _on_failed(self, rid: int, text: str) -> None:
        path = self._request_paths.pop(rid, None)
        if path is not None:
            self.folder.set_status(path, ItemStatus.FAILED, text)
        if rid != self.current_id:
            return
        self.current_id = 0
        self.readout.set_busy(False)
        if text == NO_MODEL_MESSAGE:
            self.modelMissing.emit(text)
            return
        if not self.view.has_image() or self.shown_path != path:
            self.view.set_image(None)
            self.view.set_placeholder(f"Could not show {path.name if path else 'the image'}.\n\n{text}")
            self.legend.show_counts(None, self._palette())
        self.message.emit("error", text)

    def _on_dropped(self, rid: int) -> None:
        path = self._request_paths.pop(rid, None)
        if path is not None and self.folder.status(path) == ItemStatus.RUNNING:
            self.folder.set_status(path, ItemStatus.PENDING)
        if rid == self.current_id:
            self.readout.set_busy(False)

    def _on_model_ready(self, info: ModelInfo) -> None:
        self.model = info
        self.cache.clear()
        self._set_legend_classes(info.meta.classes.names)
        self.readout.set_device(info.device, info.precision)
        for path in self.paths:
            self.folder.set_status(path, ItemStatus.PENDING)
        self.modelChanged.emit(info)
        if self.current is not None:
            self.show(self.current)

    # --- drawing ------------------------------------------------------------------------
    def classes(self) -> Any:
        """The ClassInfo of what is on screen: labels read from disk carry their own."""
        if self.shown is not None and self.shown.classes is not None:
            return self.shown.classes
        return self.model.meta.classes if self.model else None

    def _palette(self) -> Any:
        import numpy as np

        classes = self.classes()
        return classes.palette if classes is not None else np.zeros((0, 3), np.uint8)

    def _set_legend_classes(self, names: tuple[str, ...]) -> None:
        self._legend_names = tuple(names)
        self.legend.set_classes(self._legend_names)

    def _thresholded(self) -> Any:
        """Pixels of the shown result under the threshold, or None when none are."""
        if self.shown is None or not self.threshold.active():
            return None
        result, t = self.shown.result, self.threshold
        below = below_threshold(result.labels, result.confidence, t.global_t, t.per_class)
        return below if below.any() else None

    def _lut(self) -> Any:
        highlight = self.legend.highlight()
        lut = overlay_lut(self._palette(), self.legend.visible(), highlight if highlight >= 0 else None)
        return hatched_lut(lut) if self._hatched else lut

    def redraw(self) -> None:
        """Draw the shown result again (the threshold changed); the photo and zoom stay."""
        if self.shown is None:
            return
        labels = self.shown.result.labels
        below = self._thresholded()
        self._hatched = below is not None
        self.uncertain_pixels = int(below.sum()) if below is not None else 0
        if below is not None:
            labels = hatched_labels(labels, below, len(self._palette()))
        self.view.set_result(labels, self.shown.result.confidence, self._lut())

    def _display(self, item: CachedView, path: Path | None) -> None:
        same = path is not None and path == self.shown_path
        if self.shown is None or self.shown.image is not item.image:
            self.view.set_image(item.image, keep_view=same)
        self.shown = item
        self.shown_path = path
        result = item.result
        classes = self.classes()
        if classes is not None and classes.names != self._legend_names:
            self._set_legend_classes(classes.names)  # labels from disk with their own class list
        self.redraw()
        self.legend.show_counts(result.class_counts, self._palette())
        self.readout.set_busy(False)
        self.readout.set_timing(result.seconds, result.protocol.name)
        self.readout.set_device(result.device, self.model.precision if self.model else "")
        for note in result.notes:
            self.message.emit("warning", note)
        self.resultShown.emit(item)

    def _refresh_lut(self) -> None:
        if self.shown is not None and self.classes() is not None:
            self.view.set_lut(self._lut())

    # --- pointer -------------------------------------------------------------------------
    def readout_at(self, x: int, y: int) -> tuple[str | None, float | None]:
        classes = self.classes()
        if self.shown is None or classes is None or x < 0:
            return None, None
        result = self.shown.result
        if not (0 <= y < result.labels.shape[0] and 0 <= x < result.labels.shape[1]):
            return None, None
        label = int(result.labels[y, x])
        names = classes.names
        name = names[label] if label < len(names) else ("ignore" if label == 255 else f"class {label}")
        confidence = float(result.confidence[y, x])
        original = getattr(self.shown, "original_labels", None)  # editing: a person set this pixel
        if original is not None and int(original[y, x]) != label:
            confidence = float("nan")
        return name, (confidence if confidence == confidence else None)  # NaN: not known (saved labels)

    def _on_cursor(self, x: int, y: int) -> None:
        name, confidence = self.readout_at(x, y)
        self.readout.set_cursor(x, y, name, confidence)
        self.readout.set_zoom(self.view.pixel_scale())

    def _on_pixel_clicked(self, x: int, y: int) -> None:
        if self.shown is not None:
            label = int(self.shown.result.labels[y, x])
            self.legend.set_highlight(-1 if label == self.legend.highlight() else label)
