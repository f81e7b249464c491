"""What the viewer holds and the rules it follows, without widgets.

- The image asked for (``current``) and the one on screen (``shown_path``, ``photo``) are
  different things while a result is on its way: the title names what is on screen, or
  the file asked for when nothing could be shown of it (its message says why).
- Only the request the user is waiting for reaches the screen; a late result of an
  image left behind goes to the cache (``stale_results`` counts them).
- Saved labels (a batch run's, or found beside the folder: ``saved_results``) and the
  model's prediction are cached under keys of their own (``key``, last field SAVED or
  PREDICTION), so one is never shown as the other. A prediction's key holds the model
  token, protocol and capture: another model, device, precision, protocol or the
  inspector's capture runs the model again. Saved labels are looked for first while
  ``show_saved`` is on and no capture is asked for; else the prediction is.
- Anything that replaces the labels on screen asks ``leave_guard`` first (the editor:
  unsaved edits); its False keeps everything as it is.
- A new photo clears what belonged to the old one: its result, areas and the pixel
  read-out (which reads nothing until the new result is there).
- The classes drawn follow ``display`` (app.viewing.class_display): hidden classes and
  the highlight carry over as its rules say, and its lookup table draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, Protocol

import numpy as np

from app.labels.threshold import ConfidenceThreshold, below_threshold
from app.viewing.cache import CachedView, ResultCache
from app.viewing.class_display import ClassDisplay
from app.viewing.rendering import hatched_labels

NO_REQUEST = 0
PREDICTION, SAVED = "prediction", "saved"  # where a cached result came from: the model, or labels on disk


class ModelLike(Protocol):
    """What the state reads of the loaded model (app.gui.worker_types.ModelInfo)."""

    token: int
    meta: Any  # ModelMeta: .classes (ClassInfo), .display_name


@dataclass
class Drawn:
    """The label array to draw and what the threshold made of it."""

    labels: np.ndarray
    hatched: bool        # the table needs the hatch entry (uncertain pixels striped)
    uncertain_pixels: int


class ViewerState:
    def __init__(self, display: ClassDisplay | None = None, cache: ResultCache | None = None) -> None:
        self.display = display if display is not None else ClassDisplay()
        self.cache = cache if cache is not None else ResultCache()
        self.model: ModelLike | None = None
        self.protocol = "fast"
        self.capture = False  # the PPM inspector turns this on
        self.show_saved = True  # Review > Show Labels from Folder: saved labels before the prediction
        # Results that need no model (a batch run's saved label maps); not used while capturing.
        self.saved_results: Callable[[Path], CachedView | None] | None = None
        # Asked before the shown labels are replaced (the editor: unsaved edits); False stays.
        self.leave_guard: Callable[[], bool] | None = None
        self.threshold = ConfidenceThreshold()  # uncertain pixels hatched while active
        self.folder_path: Path | None = None
        self.paths: list[Path] = []
        self.current: Path | None = None   # the image asked for
        self.current_id = NO_REQUEST       # its request while the worker has it
        self.shown: CachedView | None = None  # the result on screen
        self.shown_path: Path | None = None   # the photo on screen (its result may be pending)
        self.photo: np.ndarray | None = None  # the photo array on screen
        self.stale_results = 0
        self._request_paths: dict[int, Path | None] = {}

    # --- asking for an image ----------------------------------------------------------
    def may_leave(self) -> bool:
        return self.leave_guard is None or self.leave_guard()

    def wants_saved(self) -> bool:
        """Whether saved labels are shown where an image has them (the inspector needs the model's run)."""
        return self.show_saved and not self.capture

    def key(self, path: Path | None, source: str | None = None) -> tuple[Hashable, ...]:
        """Where ``path``'s result of ``source`` is cached: PREDICTION (per model token, protocol
        and capture) or SAVED (per model token, whose classes labels without a labelmap use;
        no protocol or capture made them). None: the source looked for first now."""
        token = self.model.token if self.model else 0
        if source is None:
            source = SAVED if self.wants_saved() else PREDICTION
        if source == SAVED:
            return (str(path), token, SAVED)
        return self._prediction_key(path, token, self.protocol, self.capture)

    @staticmethod
    def _prediction_key(path: Path | None, token: int, protocol: str, capture: bool) -> tuple[Hashable, ...]:
        return (str(path), token, protocol, capture, PREDICTION)

    def forget_saved(self) -> None:
        """Saved labels are read again when next shown (their files may have changed, or another
        label folder was opened); the model's predictions stay cached."""
        self.cache.discard_where(lambda key: isinstance(key, tuple) and key[-1] == SAVED)

    def ask_for(self, path: Path) -> CachedView | None:
        """``path`` becomes the current image; its result when it is at hand (saved labels while
        they are wanted, else a cached prediction), else None and the caller asks the worker
        (``sent``)."""
        self.current = path
        cached = None
        if self.wants_saved():
            cached = self.cache.get(self.key(path, SAVED))
            if cached is None and self.saved_results is not None:
                cached = self.saved_results(path)
                if cached is not None:
                    self.cache.put(self.key(path, SAVED), cached)
        if cached is None:
            cached = self.cache.get(self.key(path, PREDICTION))
        if cached is not None:
            self.current_id = NO_REQUEST
        return cached

    def sent(self, request_id: int, path: Path | None) -> None:
        self.current_id = request_id
        self._request_paths[request_id] = path

    def request_path(self, request_id: int) -> Path | None:
        return self._request_paths.get(request_id)

    # --- what the worker says -----------------------------------------------------------
    def photo_arrived(self, request_id: int, path: Path | None, image: np.ndarray) -> bool | None:
        """The photo of a request, before its result. None: not the image waited for (left
        alone); else whether the zoom stays (the same file again, e.g. another protocol)."""
        if request_id != self.current_id:
            return None
        keep_view = self.shown is not None and path is not None and path == self.shown_path
        self.shown, self.shown_path, self.photo = None, path, image
        self.display.show_counts(None)  # the old image's areas go; the new ones come with its result
        return keep_view

    def result_arrived(self, request_id: int, item: CachedView, model_token: int,
                       path: Path | None) -> tuple[Path | None, bool]:
        """(the request's path, whether to show it). Cached when the current model made it."""
        path = self._request_paths.pop(request_id, path)
        if self.model is not None and model_token == self.model.token and path is not None:
            self.cache.put(self._prediction_key(path, model_token, item.result.protocol.name, self.capture), item)
        if request_id != self.current_id:
            self.stale_results += 1
            return path, False
        self.current_id = NO_REQUEST
        return path, True

    def request_ended(self, request_id: int) -> tuple[Path | None, bool]:
        """A request failed or was dropped: (its path, whether it was the one waited for)."""
        path = self._request_paths.pop(request_id, None)
        current = request_id == self.current_id and request_id != NO_REQUEST
        if current:
            self.current_id = NO_REQUEST
        return path, current

    def failure_replaces_view(self, path: Path | None) -> bool:
        """A file could not be shown: its message replaces the view unless its own photo is
        on screen (it was read, the model failed on it). Clears what the view showed."""
        if self.photo is not None and self.shown_path == path:
            return False
        self.shown, self.photo = None, None
        self.display.show_counts(None)
        return True

    def model_ready(self, model: ModelLike) -> None:
        """Another model (or device, precision): nothing cached is valid, its classes start afresh."""
        self.model = model
        self.cache.clear()
        self.display.set_classes(model.meta.classes.names)

    # --- what is on screen --------------------------------------------------------------
    def show_item(self, item: CachedView, path: Path | None) -> tuple[bool, bool]:
        """``item`` goes on screen: (whether its photo must be set, whether the zoom stays).
        Its class list replaces the legend's when it has its own (labels read from disk)."""
        new_photo = self.photo is None or self.photo is not item.image
        keep_view = path is not None and path == self.shown_path
        self.shown, self.shown_path, self.photo = item, path, item.image
        classes = self.classes()
        if classes is not None and tuple(classes.names) != self.display.names:
            self.display.set_classes(classes.names)
        self.display.show_counts(item.result.class_counts, self.palette())
        return new_photo, keep_view

    def segment_array(self, image: np.ndarray) -> None:
        """An in-memory image goes on screen before its result (no file, no title name)."""
        self.current, self.shown, self.photo = None, None, image
        self.display.show_counts(None)

    def classes(self) -> Any:
        """The ClassInfo of what is on screen: labels read from disk carry their own."""
        if self.shown is not None and self.shown.classes is not None:
            return self.shown.classes
        return self.model.meta.classes if self.model else None

    def palette(self) -> np.ndarray:
        classes = self.classes()
        return classes.palette if classes is not None else np.zeros((0, 3), np.uint8)

    def drawn(self) -> Drawn | None:
        """The labels the view draws: the result's, with uncertain pixels hatched while the
        threshold is active."""
        if self.shown is None:
            return None
        result = self.shown.result
        below = None
        if self.threshold.active():
            t = self.threshold
            below = below_threshold(result.labels, result.confidence, t.global_t, t.per_class)
            below = below if below.any() else None
        if below is None:
            return Drawn(result.labels, False, 0)
        return Drawn(hatched_labels(result.labels, below, len(self.palette())), True, int(below.sum()))

    def title(self, model_name: str | None = None) -> str:
        """The window title: the file on screen, or the one asked for when none is shown."""
        path = self.shown_path if self.photo is not None else self.current
        model = model_name or (self.model.meta.display_name if self.model else "no model")
        return f"{path.name} - PSPNet Studio ({model})" if path else f"PSPNet Studio ({model})"

    def readout_at(self, x: int, y: int) -> tuple[str | None, float | None]:
        """(class name, confidence) of a pixel of the result on screen; (None, None) off it,
        or while the photo on screen has no result yet. Confidence None: not known (labels
        read from disk, or a pixel a person edited)."""
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
        return name, (confidence if confidence == confidence else None)  # NaN: not known
