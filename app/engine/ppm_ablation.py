"""Switch parts of the PPM off and re-run only the head.

A part (0 = the features, i >= 1 = branch i-1) is either zeroed or replaced by its
spatial mean (per channel: the branch keeps its average "what is in this image" but
loses "where"). The head runs on the edited parts; its logits reach the photo by the
same two resizes as the engine's fast protocol (``ppm_geometry``). The baseline is
the head re-run on the unedited capture through the same path, so every changed
pixel is the ablation's doing, not a difference of protocol or precision.

A newer ablation asked for while one runs sets the older one's ``cancel``: it is looked at
before each head pass (``app.engine.cancel.interruptible``) and before the photo-sized resizes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import torch

from app.engine.cancel import check_cancel, interruptible
from app.engine.histogram import class_counts
from app.engine.ppm_contrib import model_parts
from app.engine.ppm_geometry import CaptureGeometry, labels_at_photo_size
from app.model import PPMCapture, PSPNet

ABLATION_MODES = ("zero", "mean")


@dataclass
class AblationResult:
    """Labels at the photo's size before and after switching ``parts_off`` off."""

    parts_off: tuple[int, ...]
    mode: str
    baseline: np.ndarray  # (H, W) labels of the unedited head
    ablated: np.ndarray  # (H, W)
    num_classes: int

    @property
    def changed(self) -> np.ndarray:
        """(H, W) bool: pixels whose class changed."""
        return self.baseline != self.ablated

    @property
    def changed_fraction(self) -> float:
        return float(self.changed.mean()) if self.changed.size else 0.0

    def class_pixels(self) -> tuple[np.ndarray, np.ndarray]:
        """(C,) pixel counts per class before and after."""
        before = class_counts(self.baseline, self.num_classes)[:self.num_classes]
        after = class_counts(self.ablated, self.num_classes)[:self.num_classes]
        return before.astype(np.int64), after.astype(np.int64)

    def area_changes(self) -> list[tuple[int, float, float]]:
        """(class, fraction before, fraction after) for classes present in either, biggest change first."""
        before, after = self.class_pixels()
        total = max(int(before.sum()), 1)
        rows = [(c, before[c] / total, after[c] / total) for c in range(self.num_classes)
                if before[c] or after[c]]
        rows.sort(key=lambda r: (-abs(r[2] - r[1]), r[0]))
        return [(int(c), float(b), float(a)) for c, b, a in rows]


def edit_parts(parts: list[torch.Tensor], parts_off: Iterable[int], mode: str) -> list[torch.Tensor]:
    """A copy of the head's input parts with the chosen ones zeroed or spatially averaged."""
    if mode not in ABLATION_MODES:
        raise ValueError(f"unknown ablation mode {mode!r}; expected one of {ABLATION_MODES}")
    off = set(parts_off)
    bad = [p for p in off if not 0 <= p < len(parts)]
    if bad:
        raise IndexError(f"parts {bad} out of range 0..{len(parts) - 1}")
    edited = []
    for index, part in enumerate(parts):
        if index not in off:
            edited.append(part)
        elif mode == "zero":
            edited.append(torch.zeros_like(part))
        else:
            edited.append(part.mean(dim=(2, 3), keepdim=True).expand_as(part).contiguous())
    return edited


@torch.inference_mode()
def head_logits(model: PSPNet, parts: list[torch.Tensor]) -> torch.Tensor:
    """Low-resolution logits (C, h, w) on the CPU from the head's input parts."""
    return model.head_from_parts(parts)[0].float().cpu()


@torch.inference_mode()
def run_ablation(model: PSPNet, capture: PPMCapture, geometry: CaptureGeometry,
                 parts_off: Iterable[int], mode: str = "zero",
                 baseline_logits: torch.Tensor | np.ndarray | None = None,
                 cancel: threading.Event | None = None) -> AblationResult:
    """Re-run the head with ``parts_off`` switched off (heavy: run it off the GUI thread).

    ``baseline_logits`` (C, h, w) skips the baseline head pass when the caller has them
    (the contribution maps compute the same logits). A set ``cancel`` raises ``Cancelled``
    before the next head pass.
    """
    check_cancel(cancel)  # superseded while it waited in the queue: nothing to run
    off = tuple(sorted(set(parts_off)))
    parts = model_parts(model, capture)
    with interruptible(model, cancel):
        if baseline_logits is None:
            baseline_low = head_logits(model, parts)
        else:
            baseline_low = torch.as_tensor(np.asarray(baseline_logits), dtype=torch.float32)
        ablated_low = head_logits(model, edit_parts(parts, off, mode)) if off else baseline_low
    check_cancel(cancel)
    return AblationResult(off, mode, labels_at_photo_size(geometry, baseline_low),
                          labels_at_photo_size(geometry, ablated_low), int(baseline_low.shape[0]))
