"""The one long-lived thread that owns the model: loading, segmenting, generic jobs.

The GUI calls the public methods (below and in the two mixins named at the end) from its
own thread; they only touch lock-protected queues and emit a queued wake-up signal, so
they return at once.
The worker drains the queues in its thread: model operations and jobs in FIFO
order, then the *latest* segmentation request (older pending ones are dropped,
so flicking through a folder only runs the image the user stopped on).

Cancelling sets a ``threading.Event`` directly from the GUI thread (a queued
signal would wait behind the running work). Besides the engine's own checks
between windows, forward pre-hooks on the network's blocks raise ``Cancelled``
so even a single whole-image pass stops within one block.

Model A's loading and preparing, and the ONNX graphs it lacks, are in
``app/gui/worker_model_setup.py`` (the backend never exports a graph here: the window builds
it in a child process). A second model, B (Model > Compare With Model...), lives here too:
the calls that load and ask it are in ``app/gui/worker_compare_requests.py`` and B itself in
``app/gui/worker_compare.py``; its comparison requests run after any segmentation waiting,
latest first, and a new image drops the old one's.
"""

from __future__ import annotations

import itertools
import sys
import threading
import traceback
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from app.gui import gc_on_gui_thread
from app.gui.jobs import run_job
from app.gui.worker_compare import CompareModel
from app.gui.worker_compare_requests import CompareRequests
from app.gui.worker_errors import describe_failure, is_cancellation
from app.gui.worker_graphs import GraphAsks
from app.gui.worker_model_setup import ModelSetup
from app.gui.worker_types import (CompareOutcome, CompareRequest, GraphRequest, ImageLoaded, ModelInfo,
                                  SegmentOutcome, SegmentRequest, Task, WorkerJob)
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


class InferenceWorker(CompareRequests, ModelSetup, QObject):
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
            self._configure(task)
        elif task.kind == "job":
            self._run_job(task)
        elif task.kind.startswith("compare_"):
            self._compare.handle(task, self._device, self._precision)

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

    def _run_job(self, task: Task) -> None:
        segmenter = self._segmenter
        if segmenter is None or task.fn is None:
            self.jobFailed.emit(task.task_id, NO_MODEL_MESSAGE)
            return
        self._active_cancel = self._shutdown
        try:
            import torch

            with torch.inference_mode():
                value = run_job(task.fn, segmenter)  # a Cancelled is its value, not a failure
        except Exception as exc:  # noqa: BLE001
            if not self._shutdown.is_set():
                traceback.print_exc(file=sys.stderr)
                self.jobFailed.emit(task.task_id, describe_failure(exc, "The job failed"))
            return
        finally:
            self._active_cancel = None
            self._after_forwards(segmenter)  # a batch's images ask for their graphs too
        self.jobFinished.emit(task.task_id, value)
