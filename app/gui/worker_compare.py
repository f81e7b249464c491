"""Model B of a comparison, held by the inference worker (app/gui/worker.py).

Like model A it lives in the worker thread only: the worker calls these methods from
its own thread, and the GUI sees B through its ``ModelInfo`` and the ``CompareOutcome``
answers. B always runs on PyTorch, on the window's device and precision; it never asks
for ONNX graphs (the backend choice is the window's model's). Dropping it (``clear``)
removes its hooks and the last references the worker holds, so its memory goes.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable

from app.gui.worker_errors import describe_failure, install_cancel_hooks, is_cancellation
from app.gui.worker_types import CompareOutcome, CompareRequest, ModelInfo, Task

if TYPE_CHECKING:
    from torch.utils.hooks import RemovableHandle

    from app.checkpoints.meta import LoadedModel
    from app.engine.segmenter import Segmenter
    from app.gui.worker import InferenceWorker

NO_COMPARE_MESSAGE = "No model to compare with is loaded (Model > Compare With Model...)."

CancelGetter = Callable[[], "threading.Event | None"]


class CompareModel:
    """Model B and its Segmenter (worker thread only)."""

    def __init__(self, worker: "InferenceWorker", current_cancel: CancelGetter) -> None:
        self._worker = worker  # its compare* signals carry the answers
        self._current_cancel = current_cancel  # the worker's running request's event (the hooks read it)
        self.loaded: LoadedModel | None = None
        self.segmenter: Segmenter | None = None
        self.source = ""
        self.token = 0
        self._hooks: list[RemovableHandle] = []

    def handle(self, task: Task, device: str, precision: str) -> None:
        """Load, take, rebuild (a configure task) or drop model B; a failure leaves B as it was."""
        signals = self._worker
        started = time.perf_counter()
        try:
            if task.kind == "compare_clear":
                self.clear()
                signals.compareModelChanged.emit(None)
                return
            if task.kind == "configure":
                info = self.reconfigure(device, precision)
                if info is not None:
                    signals.compareModelChanged.emit(info)
                return
            if task.kind == "compare_load":
                from app.checkpoints import load_checkpoint  # never pickle: app.checkpoints' loaders

                loaded = load_checkpoint(task.path)
            elif task.loaded is not None:
                loaded = task.loaded
            else:
                return
            signals.compareModelChanged.emit(self.take(loaded, task.path, device, precision,
                                                       time.perf_counter() - started))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            # the loaders' own messages name the file but not what it was for
            signals.compareModelFailed.emit("Compare With Model: " + describe_failure(
                exc, f"Could not load {task.path or 'the model'}"))

    def answer(self, request: CompareRequest) -> None:
        """Run ``request`` and emit its outcome, failure or drop (worker thread)."""
        signals, rid = self._worker, request.request_id
        if self.segmenter is None:
            signals.compareFailed.emit(rid, NO_COMPARE_MESSAGE)
            return
        try:
            outcome = self.run(request)
        except Exception as exc:  # noqa: BLE001
            if is_cancellation(exc) or request.cancel.is_set():
                signals.compareDropped.emit(rid)
            else:
                signals.compareFailed.emit(rid, describe_failure(
                    exc, "Segmenting with the model compared failed", image_shape=request.image.shape))
            return
        signals.compareReady.emit(rid, outcome)

    def take(self, loaded: LoadedModel, source: str, device: str, precision: str,
             load_seconds: float = 0.0) -> ModelInfo:
        """Hold ``loaded`` as model B (raises when it cannot be prepared; B is then unchanged)."""
        from app.engine.segmenter import Segmenter

        segmenter = Segmenter(loaded, device=device, precision=precision)
        self.clear()
        self.loaded, self.segmenter, self.source = loaded, segmenter, source
        self._hooks = install_cancel_hooks(segmenter, self._current_cancel)
        self.token += 1
        return ModelInfo.describe(loaded, self.token, str(segmenter.device), precision, source, load_seconds)

    def reconfigure(self, device: str, precision: str) -> ModelInfo | None:
        """Prepare B again for a new device or precision (None when there is no B)."""
        if self.loaded is None:
            return None
        return self.take(self.loaded, self.source, device, precision)

    def clear(self) -> None:
        for handle in self._hooks:
            handle.remove()
        self._hooks = []
        self.loaded = self.segmenter = None
        self.source = ""

    def run(self, request: CompareRequest) -> CompareOutcome:
        """Segment the request's image with B (A's protocol settings) and compare it with A's labels.
        Raises ``Cancelled`` once ``request.cancel`` is set."""
        import numpy as np
        import torch

        from app.labels.compare import compare_label_maps

        segmenter = self.segmenter
        if segmenter is None:
            raise RuntimeError("no model to compare with is loaded")
        started = time.perf_counter()
        with torch.inference_mode():
            result = segmenter.segment(request.image, request.settings, cancel=request.cancel)
        seconds = time.perf_counter() - started
        names_b = segmenter.loaded.meta.classes.names
        mask = np.zeros(result.labels.shape, np.uint8)  # filled in the same pass as the figures
        agreement = compare_label_maps(request.labels_a, result.labels, request.names_a, names_b, disagreement=mask)
        return CompareOutcome(request.request_id, request.key, result.labels, mask, agreement, seconds, self.token)
