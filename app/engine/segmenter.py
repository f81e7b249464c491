"""The one path from an RGB image to per-pixel labels, for the CLI, the GUI and Ray.

``Segmenter`` owns the device placement of a loaded model (moved in place: the
``LoadedModel`` keeps being the same object), the precision, and recovery from
GPU out-of-memory: the image is retried with smaller window batches, then on
the CPU, and ``result.notes`` says so. ``segment_many`` runs the windows of several
images in shared forwards (``app.engine.windows``). How each forward runs (precision,
backend, layout) is ``app.engine.forwards``.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

import numpy as np
import torch

from app.checkpoints.meta import LoadedModel, ProtocolSettings
from app.engine.backend import Backend
from app.engine.cancel import interruptible
from app.engine.device import resolve_device
from app.engine.fast import Preview, run_fast
from app.engine.forwards import PRECISIONS, capture_forward, cpu_twin, evaluating, window_forward
from app.engine.histogram import class_counts
from app.engine.ms import run_multi_scale
from app.engine.out_of_memory import is_device_out_of_memory
from app.engine.official import official_image, official_values, run_official
from app.engine.slide import run_slide, slide_image, slide_values
from app.engine.result import Cancelled, SegmentationResult
from app.engine.windows import run_windows
from app.model import PPMCapture, PSPNet

__all__ = ["PRECISIONS", "Cancelled", "Segmenter"]


class Segmenter:
    """Segments images with a loaded model on one device.

    ``window_batch``: windows per forward in the window protocols (official's doubled by
    flip); default 4 on a GPU, 1 on the CPU (where bigger batches measured no faster:
    the convolutions already use every core, and larger activations miss the caches).
    ``backend``: torch, onnx or auto, what runs the plain forwards (``app.engine.backend``).
    """

    def __init__(self, loaded: LoadedModel, device: str = "auto", precision: str = "fp32",
                 window_batch: int | None = None, backend: str = "torch") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
        self.loaded = loaded
        self.device = resolve_device(device)
        self.precision = precision
        self.window_batch = window_batch or (4 if self.device.type == "cuda" else 1)
        self.backend = Backend(backend, self.device)
        self._cpu_copy: PSPNet | None = None
        self._lock = threading.Lock()  # one image at a time per segmenter (shared model)
        loaded.model.to(self.device)
        if self.device.type == "cuda":
            loaded.model.to(memory_format=torch.channels_last)
            torch.backends.cudnn.benchmark = True
        self.backend.prepare(loaded.model)

    @property
    def model(self) -> PSPNet:
        return self.loaded.model

    @property
    def num_classes(self) -> int:
        return self.loaded.meta.num_classes

    @property
    def label_dtype(self) -> np.dtype:
        return np.dtype(np.uint8) if self.num_classes <= 256 else np.dtype(np.uint16)

    def segment(self, image: np.ndarray, settings: ProtocolSettings | None = None, capture: bool = False,
                cancel: threading.Event | None = None,
                progress: Callable[[int, int], None] | None = None,
                preview: Callable[[SegmentationResult], None] | None = None) -> SegmentationResult:
        """Labels, confidence and class counts of an (H, W, 3) uint8 RGB image.

        ``cancel`` is checked throughout (every network block, strip and window): once
        set, ``Cancelled`` is raised within a fraction of a second. ``preview`` (fast
        protocol, photos above ``fast.PREVIEW_MIN_PIXELS``) is called first with a
        result whose labels are smaller than the photo (``result.preview``)."""
        _check_image(image)
        settings = settings or self.loaded.meta.protocol("fast")
        started = time.perf_counter()
        notes: list[str] = []
        device, window_batch = self.device, self.window_batch

        def quick(labels: np.ndarray, confidence: np.ndarray) -> None:
            if preview is not None:
                counts = class_counts(labels, self.num_classes)[:self.num_classes].astype(np.int64)
                preview(SegmentationResult(labels=labels, confidence=confidence, class_counts=counts,
                                           protocol=settings, device=str(device),
                                           seconds=time.perf_counter() - started, notes=list(notes),
                                           preview=True))
        with self._lock:
            while True:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                try:
                    labels, confidence, cap, input_size = self._run(
                        image, settings, capture, cancel, progress, device, window_batch,
                        quick if preview is not None else None)
                    break
                except Exception as exc:  # noqa: BLE001 - only out-of-memory is handled
                    if not is_device_out_of_memory(exc) or device.type == "cpu":
                        raise
                    if device.type == "cuda":
                        torch.cuda.empty_cache()
                    if _slides_windows(settings) and window_batch > 1:
                        window_batch = max(1, window_batch // 2)
                        notes.append(f"GPU out of memory: retried with {window_batch} window(s) per batch")
                    else:
                        device = torch.device("cpu")
                        notes.append(f"GPU out of memory on {self.device}: this image was segmented on the CPU")
        notes += self.backend.take_notes()
        counts = class_counts(labels, self.num_classes)[:self.num_classes]
        return SegmentationResult(labels=labels, confidence=confidence, class_counts=counts.astype(np.int64),
                                  protocol=settings, device=str(device),
                                  seconds=time.perf_counter() - started, activations=cap,
                                  input_size=input_size, notes=notes,
                                  capture_via_input=_capture_settings(self.loaded, settings).style != "csail")

    def groups_images(self, settings: ProtocolSettings) -> bool:
        """Whether ``segment_many`` puts windows of several images into one forward with these
        settings (the window protocols: official, slide, semseg's multi-scale); for the others
        it segments the images one at a time."""
        return _slides_windows(settings)

    def segment_many(self, images: Sequence[np.ndarray], settings: ProtocolSettings | None = None,
                     cancel: threading.Event | None = None,
                     progress: Callable[[int, int], None] | None = None) -> list[SegmentationResult]:
        """``segment`` of each image, with the windows of all of them sharing forwards.

        The window protocols' forwards take ``window_batch`` windows whichever image they
        come from (a 512 x 384 photo has 2 windows: alone it would leave a GPU batch half
        empty); each window's maths is unchanged, so the labels are those of ``segment``
        (confidence equal up to float rounding of the batched convolutions). Only the
        images still waiting for windows hold accumulators; ``cancel`` is checked before
        every forward; ``progress(done, total)`` counts the windows of the whole group.
        Each result's ``seconds`` is the group's time shared out equally. On GPU out of
        memory the images are segmented one at a time by ``segment`` (with its recovery)
        and their notes say so. Other protocols: ``segment`` of each image in turn."""
        for image in images:
            _check_image(image)
        settings = settings or self.loaded.meta.protocol("fast")
        if len(images) < 2 or not self.groups_images(settings):
            return [self.segment(image, settings, cancel=cancel, progress=progress) for image in images]
        started = time.perf_counter()
        with self._lock:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            try:
                outputs = self._run_many(images, settings, cancel, progress)
            except Exception as exc:  # noqa: BLE001 - only out-of-memory is handled
                if not is_device_out_of_memory(exc) or self.device.type == "cpu":
                    raise
                outputs = None
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
        if outputs is None:
            return self._one_by_one(images, settings, cancel)
        notes = self.backend.take_notes()
        seconds = (time.perf_counter() - started) / len(images)
        via_input = _capture_settings(self.loaded, settings).style != "csail"
        results = []
        for labels, confidence in outputs:
            counts = class_counts(labels, self.num_classes)[:self.num_classes].astype(np.int64)
            results.append(SegmentationResult(labels=labels, confidence=confidence, class_counts=counts,
                                              protocol=settings, device=str(self.device), seconds=seconds,
                                              notes=list(notes), capture_via_input=via_input))
        return results

    # --- internals ------------------------------------------------------------------

    def _one_by_one(self, images: Sequence[np.ndarray], settings: ProtocolSettings,
                    cancel: threading.Event | None) -> list[SegmentationResult]:
        """The out-of-memory fallback of ``segment_many``: each image through ``segment``."""
        note = (f"GPU out of memory with the windows of {len(images)} images per forward: "
                "these images were segmented one at a time")
        results = [self.segment(image, settings, cancel=cancel) for image in images]
        for result in results:
            result.notes.insert(0, note)
        return results

    def _run_many(self, images: Sequence[np.ndarray], settings: ProtocolSettings,
                  cancel: threading.Event | None, progress: Callable[[int, int], None] | None
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Labels and confidence of each image, the windows of all of them in shared forwards."""
        model, device, meta = self._model_on(self.device), self.device, self.loaded.meta
        with evaluating(model), torch.inference_mode(), interruptible(model, cancel):
            if settings.name == "slide":
                slides = [slide_image(image, settings, meta.normalization, self.num_classes,
                                      model.cfg.align_corners, self.label_dtype, device) for image in images]
                forward = self._window_forward(model, device, cancel)
                finished = run_windows(slides, slide_values(forward), self.window_batch, cancel, progress)
                return [(labels, confidence) for labels, confidence, _ in finished]
            # official, and semseg's multi-scale test (the same windows at more scales)
            jobs = [official_image(image, settings, meta.normalization, self.num_classes, self.label_dtype,
                                   device, cancel) for image in images]
            low_res = self._window_forward(model, device, cancel, upsample=False)
            return run_windows(jobs, official_values(low_res, settings.flip, model.cfg.align_corners),
                               self.window_batch, cancel, progress)

    def _model_on(self, device: torch.device) -> PSPNet:
        if device == self.device:
            return self.model
        if self._cpu_copy is None:  # out-of-memory fallback: made once
            self._cpu_copy = cpu_twin(self.model)
        return self._cpu_copy

    def _run(self, image: np.ndarray, settings: ProtocolSettings, capture: bool,
             cancel: threading.Event | None, progress: Callable[[int, int], None] | None,
             device: torch.device, window_batch: int, preview: Preview | None = None
             ) -> tuple[np.ndarray, np.ndarray, PPMCapture | None, tuple[int, int] | None]:
        model = self._model_on(device)
        meta = self.loaded.meta
        forward_capture = capture_forward(self.backend, model, device, self.precision, cancel)
        forward_windows = self._window_forward(model, device, cancel)
        with evaluating(model), torch.inference_mode(), interruptible(model, cancel):
            if settings.name == "fast":
                out = run_fast(forward_capture, image, settings, meta.normalization,
                               model.cfg.align_corners, self.label_dtype, device, capture, cancel, preview)
                if progress is not None:
                    progress(1, 1)
                return out.labels, out.confidence, out.capture, out.input_size
            if settings.name == "slide":
                labels, confidence, _ = run_slide(forward_windows, image, settings, meta.normalization,
                                                  self.num_classes, model.cfg.align_corners,
                                                  self.label_dtype, device, window_batch, cancel, progress)
            elif settings.name == "ms" and settings.style != "semseg":
                labels, confidence = run_multi_scale(lambda x: forward_capture(x, False)[0], image,
                                                     settings, meta.normalization, model.cfg.align_corners,
                                                     self.label_dtype, device, cancel, progress)
            else:  # official, and semseg's multi-scale test (the same windows at more scales)
                labels, confidence = run_official(self._window_forward(model, device, cancel, upsample=False),
                                                  image, settings, meta.normalization, self.num_classes,
                                                  self.label_dtype, device, model.cfg.align_corners,
                                                  window_batch, cancel, progress)
            cap, input_size = None, None
            if capture:  # the capture is always of a whole-image (fast) pass at this base size
                whole = _capture_settings(self.loaded, settings)
                fast = run_fast(forward_capture, image, whole, meta.normalization,
                                model.cfg.align_corners, self.label_dtype, device, True, cancel)
                cap, input_size = fast.capture, fast.input_size
            return labels, confidence, cap, input_size

    def _window_forward(self, model: PSPNet, device: torch.device, cancel: threading.Event | None,
                        upsample: bool = True) -> Callable[[torch.Tensor], torch.Tensor]:
        """``forwards.window_forward`` with this segmenter's backend and precision (one
        place for every window protocol, so a test can count the forwards)."""
        return window_forward(self.backend, model, device, self.precision, cancel, upsample)


def _slides_windows(settings: ProtocolSettings) -> bool:
    """Whether the protocol runs batches of windows (which a smaller batch can rescue)."""
    return settings.name in ("official", "slide") or (settings.name == "ms" and settings.style == "semseg")


def _capture_settings(loaded: LoadedModel, settings: ProtocolSettings) -> ProtocolSettings:
    """The whole-image pass a capture comes from: the fast protocol itself, or for any
    other, the model's fast protocol at that protocol's base size."""
    if settings.name == "fast":
        return settings
    return loaded.meta.protocol("fast").with_overrides(base_size=settings.base_size)


def _check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", None)
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got shape {shape} dtype {dtype}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError("the image is empty")
