"""What segmenting one image produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.checkpoints.meta import ProtocolSettings

if TYPE_CHECKING:
    from app.model.ppm import PPMCapture


class Cancelled(Exception):
    """Raised inside the engine when its cancel event is set; nothing was written."""


@dataclass
class SegmentationResult:
    """Per-pixel labels for one image at its original size.

    ``labels``: (H, W) class indices (uint8, or uint16 past 256 classes);
    ``confidence``: (H, W) float32 max softmax probability; ``class_counts``: (C,)
    pixels per class. ``activations`` holds the PPM capture (batch of one, on the
    CPU, reduced precision) when it was asked for; ``input_size`` is the (H, W)
    the network saw for that capture, and ``capture_via_input`` says whether its
    logits were upsampled through that size (False: straight to the photo's, CSAIL).
    """

    labels: np.ndarray
    confidence: np.ndarray
    class_counts: np.ndarray
    protocol: ProtocolSettings
    device: str
    seconds: float
    activations: PPMCapture | None = None
    input_size: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "fell back to CPU after out-of-memory"
    capture_via_input: bool = True
    # A quick first look at a big photo (labels smaller than the photo, to be drawn
    # scaled up); the exact full-size result of the same request follows it.
    preview: bool = False
    # What ran the network's plain forwards: "torch", "onnx" or "onnx+torch" (app.engine.backend;
    # set by the window's worker, which shows it in the status bar)
    backend: str = "torch"

    @property
    def size(self) -> tuple[int, int]:
        return int(self.labels.shape[0]), int(self.labels.shape[1])

    def present_classes(self) -> list[int]:
        """Class indices present, largest area first."""
        order = np.argsort(-self.class_counts, kind="stable")
        return [int(i) for i in order if self.class_counts[i] > 0]
