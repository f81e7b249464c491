"""The ``slide`` protocol: mmsegmentation's slide inference.

The photo is first resized by the test pipeline's keep-ratio Resize (as in the fast
protocol: uint8 OpenCV resize, no padding). Windows of ``crop_size`` are laid out by
mmseg's grid rule: ``grids = max(H - crop + stride - 1, 0) // stride + 1`` per axis,
window i from ``min(i x stride + crop, H) - crop`` (clamped at 0) to
``min(i x stride + crop, H)``, so the last window is shifted inside the image and a
side shorter than the crop is one window of that side. Each window's logits are
upsampled to the window (the model's align_corners), *summed* into a canvas and
divided by the number of windows covering each pixel (no softmax); the canvas is
resized to the original size and the argmax taken there. Confidence is the softmax
maximum of those averaged logits.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np
import torch

from app.checkpoints.meta import Normalization, ProtocolSettings
from app.engine.fast import fast_input_size, labels_from_logits, resized_input
from app.engine.resize import STRIP_BYTES, stride_for_crop
from app.engine.windows import Canvas, WindowImage, WindowValues, run_windows

Forward = Callable[[torch.Tensor], torch.Tensor]  # (B, 3, h, w) -> logits at (h, w)
Progress = Callable[[int, int], None]


def grid_windows(length: int, crop: int, stride: int) -> list[tuple[int, int]]:
    """mmseg's [start, end) windows along one axis of ``length`` pixels."""
    count = max(length - crop + stride - 1, 0) // stride + 1
    windows = []
    for i in range(count):
        end = min(i * stride + crop, length)
        windows.append((max(end - crop, 0), end))
    return windows


def slide_stride(settings: ProtocolSettings) -> int:
    return settings.stride or stride_for_crop(settings.crop_size)


def slide_windows(height: int, width: int, settings: ProtocolSettings
                  ) -> list[tuple[int, int, int, int]]:
    """(y1, y2, x1, x2) of every window over the resized image, rows first."""
    crop, stride = settings.crop_size, slide_stride(settings)
    return [(y1, y2, x1, x2) for y1, y2 in grid_windows(height, crop, stride)
            for x1, x2 in grid_windows(width, crop, stride)]


def slide_image(image: np.ndarray, settings: ProtocolSettings, normalization: Normalization,
                num_classes: int, align_corners: bool, label_dtype: np.dtype, device: torch.device,
                budget: int = STRIP_BYTES) -> WindowImage[tuple[np.ndarray, np.ndarray, tuple[int, int]]]:
    """One image as a canvas for ``run_windows``: labels, confidence and the resized size."""
    height, width = image.shape[:2]
    nh, nw = fast_input_size(height, width, settings)
    windows = slide_windows(nh, nw, settings)

    def canvas() -> Canvas:
        x = resized_input(image, (nh, nw), False, normalization, device)[0]
        return Canvas.blank(x, windows, num_classes)

    def finish(canvases: list[Canvas]) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
        labels, confidence = labels_from_logits(canvases[0].mean, (nh, nw), (height, width), align_corners,
                                                label_dtype, budget)
        return labels, confidence, (nh, nw)

    return WindowImage([canvas], [len(windows)], finish)


def slide_values(forward: Forward) -> WindowValues:
    """What each window adds to the canvas: its logits, upsampled to the window (no softmax)."""
    return lambda crops: forward(crops).float()


def run_slide(forward: Forward, image: np.ndarray, settings: ProtocolSettings,
              normalization: Normalization, num_classes: int, align_corners: bool,
              label_dtype: np.dtype, device: torch.device, window_batch: int = 1,
              cancel: threading.Event | None = None, progress: Progress | None = None,
              budget: int = STRIP_BYTES) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Labels and confidence at the original size, and the resized size the windows cover."""
    job = slide_image(image, settings, normalization, num_classes, align_corners, label_dtype, device, budget)
    return run_windows([job], slide_values(forward), window_batch, cancel, progress)[0]
