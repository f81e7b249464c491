"""The inference worker's model A: loading it, preparing its Segmenter for the chosen device,
precision and backend, and after each pass what ran it and which ONNX graphs it lacked.

Mixed into ``InferenceWorker`` (app/gui/worker.py): the GUI-thread calls only queue a task;
the rest runs in the worker's thread.
The backend never exports a graph here (an export holds the GIL for up to half a second):
a shape without a cached graph runs on PyTorch, and for the ONNX Runtime choice the worker
asks for the graph (``graphsWanted``), which the window builds in a child process.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from app.gui.worker_errors import backend_refusal, describe_failure, install_cancel_hooks
from app.gui.worker_types import ModelInfo, Task

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from torch.utils.hooks import RemovableHandle

    from app.checkpoints.meta import LoadedModel
    from app.engine.segmenter import Segmenter
    from app.gui.worker_compare import CompareModel
    from app.gui.worker_graphs import GraphAsks


class ModelSetup:
    """Mixed into ``InferenceWorker``: uses its settings, model slots and signals."""

    if TYPE_CHECKING:  # what this uses of InferenceWorker, for the type checker only
        _device: str
        _precision: str
        _backend: str
        _graphs: GraphAsks
        _loaded: LoadedModel | None
        _segmenter: Segmenter | None
        _compare: CompareModel
        _hooks: list[RemovableHandle]
        _token: int
        _source: str
        _active_cancel: threading.Event | None
        modelLoading: SignalInstance
        modelReady: SignalInstance
        modelFailed: SignalInstance
        devicesAvailable: SignalInstance
        graphsWanted: SignalInstance

        def _enqueue(self, task: Task) -> int: ...

    # --- GUI thread ------------------------------------------------------------------------
    def load_weights(self, path: str | Path) -> int:
        return self._enqueue(Task("load", path=str(path)))

    def set_model(self, loaded: LoadedModel, source: str = "") -> int:
        """Use a LoadedModel built elsewhere (tests, the training tab)."""
        return self._enqueue(Task("set_model", loaded=loaded, path=source))

    def configure(self, device: str | None = None, precision: str | None = None,
                  backend: str | None = None) -> int:
        """Change what runs the model (a fresh segmenter: a new token, the window runs the image again)."""
        return self._enqueue(Task("configure", device=device, precision=precision, backend=backend))

    # --- worker thread ---------------------------------------------------------------------
    def _warm_up(self) -> None:
        from app.engine.device import available_devices  # torch loads here, off the GUI thread

        self.devicesAvailable.emit(["auto", *available_devices()])

    def _configure(self, task: Task) -> None:
        """Another device, precision or backend: model A prepared again (model B too for the
        first two: B always runs on PyTorch)."""
        self._device = task.device or self._device
        self._precision = task.precision or self._precision
        self._backend = task.backend or self._backend
        if self._loaded is not None:
            self._activate(self._loaded, self._source, 0.0)
        if task.device or task.precision:
            self._compare.handle(task, self._device, self._precision)

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
