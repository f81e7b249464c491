"""Grad-CAM of a region's class at the backbone output and at each pooled branch (an approximation).

pytorch-grad-cam's ``SemanticSegmentationTarget`` sums a class's logits over a mask
of the output; the photo's logits are a fixed linear mix of the feature cells'
(``ppm_region.region_cell_weights``), so the same target is the cells' logits
weighted by the region's cell weights. For each part A (the features, each branch's
upsampled map entering the head) the channel weights are the spatial mean of the
target's gradient, and the map is ``sum_k alpha_k A_k`` (signed) and its ReLU.

Why it is only an approximation beside the exact split: the head is piecewise linear,
so ``<grad_p, A_p>`` (gradient times activation, summed over channels and cells) *is*
part p's exact share; Grad-CAM replaces the per-cell gradient by its spatial mean, so
its maps neither add up to the logit nor keep where the gradient was.

Only the head runs (on the captured parts): one forward, one backward, each a few
convolutions. A superseded request's ``cancel`` is looked at before the forward (and at
the head's start, ``app.engine.cancel.interruptible``), before the backward, and inside
the backward as it reaches each head layer's output (``backward_checks``): the 3x3 conv's
backward (4096 input channels on a ResNet-50 PSPNet), the long step, does not begin once it is set.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from app.editing.tools import Region
from app.engine.cancel import backward_checks, check_cancel, interruptible
from app.engine.ppm_contrib import model_parts
from app.engine.ppm_geometry import CaptureGeometry
from app.engine.ppm_region import region_cell_weights
from app.model import PPMCapture, PSPNet


@dataclass
class GradCAM:
    """Per part (P, h, w): the signed Grad-CAM map; ``grad_times_input`` (P,) the exact shares."""

    class_index: int
    signed: np.ndarray
    grad_times_input: np.ndarray

    @property
    def relu(self) -> np.ndarray:
        return np.maximum(self.signed, 0.0)


def region_gradcam(model: PSPNet, capture: PPMCapture, geometry: CaptureGeometry, region: Region,
                   class_index: int, cancel: threading.Event | None = None) -> GradCAM:
    """Grad-CAM of ``class_index`` summed over ``region`` for every head input part (heavy: a job).

    A set ``cancel`` raises ``Cancelled`` before the head's forward, before its backward, or
    within the backward at the next head layer."""
    check_cancel(cancel)  # superseded while it waited in the queue: nothing to run
    # the viewer's worker runs jobs under inference_mode: switch it off for this one, and
    # clone what may have been made under it (autograd refuses inference tensors)
    with torch.inference_mode(False), torch.enable_grad(), interruptible(model, cancel), \
            backward_checks(model.head.children(), cancel):
        weights = region_cell_weights(geometry, region).clone()
        parts = [p.detach().float().clone().requires_grad_(True) for p in model_parts(model, capture)]
        logits = model.head_from_parts(parts)[0]  # (C, h, w)
        target = (logits[class_index].double() * weights.to(logits.device)).sum()
        check_cancel(cancel)
        grads = torch.autograd.grad(target, parts)
    signed, exact = [], []
    for part, grad in zip(parts, grads):
        part, grad = part.detach()[0].double(), grad[0].double()
        alpha = grad.mean(dim=(1, 2))
        signed.append((alpha[:, None, None] * part).sum(0).cpu().numpy())
        exact.append(float((grad * part).sum()))
    return GradCAM(int(class_index), np.stack(signed), np.array(exact))
