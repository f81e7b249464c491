"""Plain data passed between the GUI thread and the inference worker.

Nothing here imports torch: the GUI thread builds requests before torch has
finished loading. Arrays inside these objects are handed over, never shared:
the sender does not touch them again after emitting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # imported for annotations only; they pull in torch
    from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
    from app.engine.result import SegmentationResult
    from app.labels.compare import Agreement
    from app.viewing.layers import PreparedLayers
    from app.engine.segmenter import Segmenter

# A job run in the worker thread with the Segmenter it holds; its return value goes back
# to the GUI thread as it is (jobFinished carries any type).
WorkerJob = Callable[["Segmenter"], Any]


@dataclass
class SegmentRequest:
    request_id: int
    path: Path | None
    image: np.ndarray | None  # given by the caller, or read from ``path`` in the worker
    protocol: str = "fast"
    capture: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "image"


@dataclass
class ImageLoaded:
    """The photo of a request, sent as soon as it is decoded (before inference)."""

    request_id: int
    path: Path | None
    image: np.ndarray


@dataclass
class SegmentOutcome:
    request_id: int
    path: Path | None
    image: np.ndarray
    result: "SegmentationResult"
    model_token: int  # which loaded model/device/precision produced it (cache key part)
    layers: "PreparedLayers | None" = None  # what the view draws over the photo, made in the worker


@dataclass
class CompareRequest:
    """Segment ``image`` with the comparison's model B, with model A's protocol settings, and
    compare B's labels with ``labels_a`` (the labels shown for A, classes ``names_a``)."""

    request_id: int
    key: object  # the window's cache key for the answer (image, both models, protocol)
    image: np.ndarray
    labels_a: np.ndarray
    names_a: tuple[str, ...]
    settings: "ProtocolSettings"
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class CompareOutcome:
    """Model B's labels of a CompareRequest's image and how they agree with A's."""

    request_id: int
    key: object
    labels_b: np.ndarray
    disagreement: np.ndarray  # (H, W) uint8: 1 where A and B give different classes
    agreement: "Agreement"
    seconds: float  # B's segmentation
    model_token: int  # which model B (ModelInfo.token of compareModelChanged)


@dataclass
class GraphRequest:
    """ONNX graphs the worker's model lacks, for a child process to build
    (``python -m app.engine.onnx_build weights SHAPE...``): the window never exports one."""

    token: int  # the model (ModelInfo.token) they are for
    weights: Path  # a copy of the worker's model, written for the child to load
    shapes: list[tuple[int, ...]]
    error: str = ""  # the copy could not be written: nothing to build


@dataclass
class ModelInfo:
    """What the GUI needs to know about the model the worker now holds.

    The network itself never leaves the worker thread: the GUI reads the classes
    (names, colours), the protocols and the card from ``meta``, and the network's own
    facts below; work that needs the weights is a worker job (``submit_job``), which
    checks ``meta`` is still the worker's model before using it.
    """

    token: int
    meta: "ModelMeta"
    device: str
    precision: str
    source: str  # the weights file, or "" for a model given in memory
    load_seconds: float = 0.0
    parameters: int = 0
    align_corners: bool = True  # the network's bilinear upsampling (the inspector's capture geometry)
    backend: str = "torch"  # what runs the plain forwards: torch, onnx or auto (settings.BACKENDS)
    backend_note: str = ""  # why that is not what the user chose (onnx on a GPU, onnxruntime missing)

    @classmethod
    def describe(cls, loaded: "LoadedModel", token: int = 0, device: str = "cpu", precision: str = "fp32",
                 source: str = "", load_seconds: float = 0.0, backend: str = "torch",
                 backend_note: str = "") -> "ModelInfo":
        """The facts of ``loaded`` (read where the model lives: the worker thread, or a test)."""
        from app.model import count_parameters  # torch: never on the GUI thread's start-up path

        return cls(token, loaded.meta, device, precision, source, load_seconds,
                   count_parameters(loaded.model), bool(loaded.model.cfg.align_corners), backend, backend_note)


@dataclass
class Task:
    """A unit of work for the worker's FIFO: model operations and generic jobs."""

    kind: str  # "warmup" | "load" | "set_model" | "configure" | "job" | "compare_load" | "compare_set" | "compare_clear"
    task_id: int = 0
    path: str = ""
    loaded: "LoadedModel | None" = None
    device: str | None = None
    precision: str | None = None
    backend: str | None = None
    fn: WorkerJob | None = None
