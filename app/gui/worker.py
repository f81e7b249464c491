"""The one long-lived thread that owns the model: loading, segmenting, generic jobs.

The GUI calls the public methods below from its own thread; they only touch
lock-protected queues and emit a queued wake-up signal, so they return at once.
The worker drains the queues in its thread: model operations and jobs in FIFO
order, then the *latest* segmentation request (older pending ones are dropped,
so flicking through a folder only runs the image the user stopped on).

Cancelling sets a ``threading.Event`` directly from the GUI thread (a queued
signal would wait behind the running work). Besides the engine's own checks
between windows, forward pre-hooks on the network's blocks raise ``Cancelled``
so even a single whole-image pass stops within one block.

The backend (PyTorch, ONNX Runtime or Automatic, ``app.engine.backend``) never exports a
graph here: an export holds the GIL for up to half a second at a time and would freeze
the window. A shape without a cached graph runs on PyTorch; for the ONNX Runtime choice
the worker asks for it (``graphsWanted``) and the window builds it in a child process.

A second model, B (Model > Compare With Model..., ``app/gui/worker_compare.py``), lives here
too: its comparison requests run after any segmentation waiting, latest first, and a new
image drops the old one's.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
import traceback
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from app.gui import gc_on_gui_thread
from app.gui.worker_compare import CompareModel
from app.gui.worker_graphs import GraphAsks
from app.gui.worker_types import (CompareOutcome, CompareRequest, GraphRequest, ImageLoaded, ModelInfo,
                                  SegmentOutcome, SegmentRequest, Task, WorkerJob)
from app.gui.worker_errors import backend_refusal, describe_failure, install_cancel_hooks, is_cancellation
from app.viewing.layers import prepare_layers

if TYPE_CHECKING:  # annotations only: torch loads in the worker thread, after the window is up
    from torch.utils.hooks import RemovableHandle

    from app.checkpoints.meta import LoadedModel
    from app.engine.result import SegmentationResult
    from app.engine.segmenter import Segmenter


NO_MODEL_MESSAGE = "No model is loaded. Open a weights file (File > Open Weights) to segment images."


# The worker runs Python between its torch and numpy calls, and PySide6 hands the GIL back at
# every call into Qt, so a painting GUI thread asks for it many times per frame; with Python's
# default 5 ms switch interval each request could wait 5 ms (tens of ms per paint). 1 ms
# bounds the wait (issue 18's GUI stall benchmark, docs/benchmarks.md). Process-wide.
GIL_SWITCH_S = 0.001


class InferenceWorker(QObject):
    modelLoading = Signal(str)          # what is being loaded (a path or a name)
    # Qt carries these payload classes as PyObject (a reference, no copy); naming them documents the slots' types
    modelReady = Signal(ModelInfo)
    modelFailed = Signal(str)           # a user-facing message
    devicesAvailable = Signal(list)     # e.g. ["auto", "cpu", "cuda"]
    imageLoaded = Signal(int, ImageLoaded)     # request id, the decoded photo
    requestStarted = Signal(int)
    progress = Signal(int, int, int)    # request id, windows done, windows total
    previewReady = Signal(int, SegmentOutcome)  # request id, a big photo's quick first result (.preview)
    resultReady = Signal(int, SegmentOutcome)  # request id, the result
    requestFailed = Signal(int, str)    # request id, user-facing message
    requestDropped = Signal(int)        # superseded before it ran, or cancelled
    jobFinished = Signal(int, object)   # task id, the job's return value (any type: object)
    jobFailed = Signal(int, str)
    graphsWanted = Signal(GraphRequest)  # ONNX graphs the ONNX Runtime choice lacks (built elsewhere)
    # the comparison's model B (app/gui/worker_compare.py): its ModelInfo, or None once dropped
    compareModelChanged = Signal(object)
    compareModelFailed = Signal(str)
    compareReady = Signal(int, CompareOutcome)  # request id, B's labels and the agreement
    compareFailed = Signal(int, str)
    compareDropped = Signal(int)  # superseded, cancelled, or the user moved on
    _wake = Signal()

    def __init__(self, device: str = "auto", precision: str = "fp32", backend: str = "torch") -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._tasks: deque[Task] = deque()
        self._pending: SegmentRequest | None = None
        self._pending_compare: CompareRequest | None = None
        self._running: SegmentRequest | CompareRequest | None = None
        self._shutdown = threading.Event()
        self._active_cancel: threading.Event | None = None  # read by the cancel hooks
        self._device = device
        self._precision = precision
        self._backend = backend
        self._graphs = GraphAsks()                    # worker thread only (and shutdown, once it has stopped)
        self._loaded: LoadedModel | None = None       # worker thread only
        self._segmenter: Segmenter | None = None      # worker thread only
        self._compare = CompareModel(self, lambda: self._active_cancel)  # model B: worker thread only
        self._hooks: list[RemovableHandle] = []
        self._token = 0
        self._source = ""
        self._thread = QThread()
        self._thread.setObjectName("inference-worker")
        self.moveToThread(self._thread)
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    # --- GUI-thread API -------------------------------------------------------------
    @property
    def thread_handle(self) -> QThread:
        return self._thread

    def start(self) -> None:
        """Start the thread and import torch there (the window is already up)."""
        sys.setswitchinterval(GIL_SWITCH_S)
        gc_on_gui_thread.install()  # before any other thread runs Python: see that module
        self._thread.start()
        self._enqueue(Task("warmup"))

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def load_weights(self, path: str | Path) -> int:
        return self._enqueue(Task("load", path=str(path)))

    def set_model(self, loaded: LoadedModel, source: str = "") -> int:
        """Use a LoadedModel built elsewhere (tests, the training tab)."""
        return self._enqueue(Task("set_model", loaded=loaded, path=source))

    def configure(self, device: str | None = None, precision: str | None = None,
                  backend: str | None = None) -> int:
        """Change what runs the model (a fresh segmenter: a new token, the window runs the image again)."""
        return self._enqueue(Task("configure", device=device, precision=precision, backend=backend))

    def load_compare(self, path: str | Path) -> int:
        """Load a checkpoint as the comparison's model B (compareModelChanged / compareModelFailed)."""
        return self._enqueue(Task("compare_load", path=str(path)))

    def set_compare(self, loaded: LoadedModel, source: str = "") -> int:
        return self._enqueue(Task("compare_set", loaded=loaded, path=source))

    def clear_compare(self) -> int:
        """Drop model B (its memory is freed in the worker); pending comparisons are dropped."""
        self._drop_compare()
        return self._enqueue(Task("compare_clear"))

    def submit_compare(self, request: CompareRequest) -> int:
        """Segment with model B and compare (after any pending segmentation: B after A); latest wins."""
        request.request_id = self.next_id()
        self._drop_compare(request)
        self._wake.emit()
        return request.request_id

    def _drop_compare(self, replacement: CompareRequest | None = None) -> None:
        with self._lock:
            dropped, self._pending_compare = self._pending_compare, replacement
            running = self._running
        if isinstance(running, CompareRequest):
            running.cancel.set()
        if dropped is not None:
            self.compareDropped.emit(dropped.request_id)

    def submit_job(self, fn: WorkerJob) -> int:
        """Run ``fn(segmenter)`` in the worker; the answer comes as jobFinished/jobFailed."""
        return self._enqueue(Task("job", fn=fn))

    def submit_segment(self, path: str | Path | None = None, image: np.ndarray | None = None,
                       protocol: str = "fast", capture: bool = False) -> int:
        """Segment an image file (read in the worker) or an array; latest request wins."""
        if path is None and image is None:
            raise ValueError("submit_segment needs a path or an image")
        request = SegmentRequest(self.next_id(), Path(path) if path is not None else None,
                                 image, protocol, capture)
        with self._lock:
            dropped, self._pending = self._pending, request
            running = self._running
        if running is not None:
            running.cancel.set()  # the user moved on: stop the running pass early
        if dropped is not None:
            self.requestDropped.emit(dropped.request_id)
        self._drop_compare()  # a comparison of the image left behind
        self._wake.emit()
        return request.request_id

    def cancel_segment(self) -> None:
        with self._lock:
            dropped, self._pending = self._pending, None
            running = self._running
        if running is not None:
            running.cancel.set()
        if dropped is not None:
            self.requestDropped.emit(dropped.request_id)
        self._drop_compare()

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel everything and stop the thread; True when it stopped in time."""
        self._shutdown.set()
        with self._lock:
            self._tasks.clear()
            self._pending = self._pending_compare = None
            running = self._running
        if running is not None:
            running.cancel.set()
        if not self._thread.isRunning():
            self._graphs.remove()
            return True
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if stopped:
            self._graphs.remove()
        return stopped

    def _enqueue(self, task: Task) -> int:
        task.task_id = self.next_id()
        with self._lock:
            self._tasks.append(task)
        self._wake.emit()
        return task.task_id

    # --- worker thread ---------------------------------------------------------------
    @Slot()
    def _drain(self) -> None:
        while not self._shutdown.is_set():
            with self._lock:
                task = self._tasks.popleft() if self._tasks else None
                request: SegmentRequest | CompareRequest | None = None
                if task is None and self._pending is not None:
                    request, self._pending = self._pending, None
                elif task is None and self._pending_compare is not None:  # B after A
                    request, self._pending_compare = self._pending_compare, None
                self._running = request
            if task is not None:
                self._run_task(task)
            elif request is not None:
                try:
                    if isinstance(request, CompareRequest):
                        self._run_compare(request)
                    else:
                        self._run_segment(request)
                finally:
                    with self._lock:
                        self._running = None
            else:
                return

    def _run_task(self, task: Task) -> None:
        if task.kind == "warmup":
            self._warm_up()
        elif task.kind in ("load", "set_model"):
            self._take_model(task)
        elif task.kind == "configure":
            self._device = task.device or self._device
            self._precision = task.precision or self._precision
            self._backend = task.backend or self._backend
            if self._loaded is not None:
                self._activate(self._loaded, self._source, 0.0)
            if task.device or task.precision:
                self._compare.handle(task, self._device, self._precision)
        elif task.kind == "job":
            self._run_job(task)
        elif task.kind.startswith("compare_"):
            self._compare.handle(task, self._device, self._precision)

    def _warm_up(self) -> None:
        from app.engine.device import available_devices  # torch loads here, off the GUI thread

        self.devicesAvailable.emit(["auto", *available_devices()])

    def _take_model(self, task: Task) -> None:
        started = time.perf_counter()
        if task.kind == "load":
            self.modelLoading.emit(task.path)
            try:
                from app.checkpoints import load_checkpoint

                loaded = load_checkpoint(task.path)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a message
                self.modelFailed.emit(describe_failure(exc, f"Could not load weights {task.path}"))
                return
        elif task.loaded is not None:
            loaded = task.loaded
        else:
            return  # a set_model task always carries its model
        self._activate(loaded, task.path, time.perf_counter() - started)

    def _activate(self, loaded: LoadedModel, source: str, load_seconds: float) -> None:
        try:
            from app.engine.backend import BackendError
            from app.engine.segmenter import Segmenter

            note = ""
            try:
                segmenter = Segmenter(loaded, device=self._device, precision=self._precision, backend=self._backend)
            except BackendError:  # onnx on a GPU, or onnxruntime missing: PyTorch runs it, and the window says why
                segmenter = Segmenter(loaded, device=self._device, precision=self._precision)
                note = backend_refusal(str(segmenter.device))
        except Exception as exc:  # noqa: BLE001
            self.modelFailed.emit(describe_failure(exc, f"Could not prepare the model on {self._device}"))
            return
        segmenter.backend.builds = False  # graphs are built by a child process (graphsWanted)
        for handle in self._hooks:
            handle.remove()
        self._graphs.new_segmenter(loaded)
        self._loaded, self._segmenter, self._source = loaded, segmenter, source
        self._hooks = install_cancel_hooks(segmenter, lambda: self._active_cancel)
        self._token += 1
        self.modelReady.emit(ModelInfo.describe(loaded, self._token, str(segmenter.device), self._precision,
                                                source, load_seconds, segmenter.backend.requested if not note
                                                else "torch", note))

    def _run_compare(self, request: CompareRequest) -> None:
        self._active_cancel = request.cancel  # read by model B's cancel hooks too
        try:
            self._compare.answer(request)
        finally:
            self._active_cancel = None

    def _run_segment(self, request: SegmentRequest) -> None:
        rid = request.request_id
        image = request.image
        if image is None:
            try:
                from app.engine.imageio import read_image

                if request.path is None:  # submit_segment refuses such requests
                    raise ValueError("the request has neither an image nor a path")
                image = read_image(request.path, cancel=request.cancel)
            except Exception as exc:  # noqa: BLE001
                if is_cancellation(exc):  # the user moved on while the photo was decoding
                    self.requestDropped.emit(rid)
                else:
                    self.requestFailed.emit(rid, describe_failure(exc, f"Could not read {request.path}"))
                return
            self.imageLoaded.emit(rid, ImageLoaded(rid, request.path, image))
        segmenter = self._segmenter
        if segmenter is None:
            self.requestFailed.emit(rid, NO_MODEL_MESSAGE)
            return
        if request.cancel.is_set():
            self.requestDropped.emit(rid)
            return
        self.requestStarted.emit(rid)
        segmenter.backend.take_ran()  # counted afresh for this image
        self._active_cancel = request.cancel
        try:
            import torch

            settings = segmenter.loaded.meta.protocol(request.protocol)  # ValueError: a protocol it lacks

            def preview(quick: SegmentationResult) -> None:  # a big photo: shown before the exact labels
                self.previewReady.emit(rid, SegmentOutcome(rid, request.path, image, quick, self._token))

            with torch.inference_mode():
                result = segmenter.segment(
                    image, settings, capture=request.capture, cancel=request.cancel,
                    progress=lambda done, total: self.progress.emit(rid, done, total), preview=preview)
        except Exception as exc:  # noqa: BLE001
            if is_cancellation(exc) or request.cancel.is_set():
                self.requestDropped.emit(rid)
            else:
                self.requestFailed.emit(rid, describe_failure(exc, f"Segmenting {request.name} failed",
                                                              image_shape=image.shape))
            return
        finally:
            self._active_cancel = None
        result.backend = self._after_forwards(segmenter)
        # the contours are made here, not on the GUI thread (where they stalled the first paint);
        # a photo of 8000x6000 takes a while: the user may have moved on meanwhile
        layers = prepare_layers(result.labels, len(result.class_counts), cancel=request.cancel)
        if layers is None or request.cancel.is_set():
            self.requestDropped.emit(rid)
            return
        self.resultReady.emit(rid, SegmentOutcome(rid, request.path, image, result, self._token, layers))

    def _after_forwards(self, segmenter: Segmenter) -> str:
        """What ran the forwards since the last call ("torch", "onnx", "onnx+torch"); asks for
        the graphs the ONNX Runtime choice lacked (once per model and shape)."""
        ran = segmenter.backend.take_ran()
        request = self._graphs.request(segmenter, self._token)
        if request is not None:
            self.graphsWanted.emit(request)
        if ran["onnx"] and ran["torch"]:
            return "onnx+torch"
        return "onnx" if ran["onnx"] else "torch"

    def _run_job(self, task: Task) -> None:
        segmenter = self._segmenter
        if segmenter is None or task.fn is None:
            self.jobFailed.emit(task.task_id, NO_MODEL_MESSAGE)
            return
        self._active_cancel = self._shutdown
        try:
            import torch

            with torch.inference_mode():
                value = task.fn(segmenter)
        except Exception as exc:  # noqa: BLE001
            if not self._shutdown.is_set():
                traceback.print_exc(file=sys.stderr)
                self.jobFailed.emit(task.task_id, describe_failure(exc, "The job failed"))
            return
        finally:
            self._active_cancel = None
            self._after_forwards(segmenter)  # a batch's images ask for their graphs too
        self.jobFinished.emit(task.task_id, value)
