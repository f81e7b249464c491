"""Grad-CAM at the backbone's inner stages (stem, layer1..layer4): where a class's evidence forms.

For a stage's output A (K channels) and a score (a class's logit summed over a region of
the photo), ``map = ReLU(sum_k alpha_k A^k)`` with ``alpha_k`` the spatial mean of
``d score / d A^k``, upsampled (bilinear, the model's ``align_corners``) to the network
input. The stages' outputs are caught with forward hooks on ``model.backbone.stem`` and
``model.backbone.layerK`` (the model is not changed), and one forward and one backward
pass give every stage at once.

The stem is the deep stem's conv block (three 3x3 conv + BN + ReLU, stride 2) that every
layout the app loads puts at ``backbone.stem``: semseg's ``layer0`` and CSAIL's
``conv1..relu3`` without their max-pool, mmseg's ResNetV1c ``stem``, the shipped compact
model's. Its map is taken before the max-pool, at half the input's resolution (the
pool's backward would keep only each window's maximum).

The score is the class's logit summed over the selected region, or, before a selection,
over the pixels predicted as that class (pytorch-grad-cam's ``SemanticSegmentationTarget``
mask). A class predicted nowhere has no such pixel: its maps are zero, and ``message``
says why (a defined answer, not a failure).

The pass takes seconds on a ResNet-50 and the user may pick another region or class
before it is done: ``cancel`` (``app.engine.cancel``) is checked at every backbone block
of the forward and as the backward reaches each block's output, so a superseded request
stops within one block with ``Cancelled``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from app.editing.tools import Region
from app.engine.cancel import check_cancel, interruptible, interruptible_passes
from app.engine.ppm_geometry import CaptureGeometry
from app.engine.ppm_region import region_cell_weights
from app.model import PSPNet

STAGES = ("stem", "layer1", "layer2", "layer3", "layer4")


@dataclass
class StageGradCAM:
    """Per stage: ``signed`` (S, h, w) ``sum_k alpha_k A^k`` at the network input's size;
    ``low`` the same at each stage's own resolution; ``score`` the differentiated sum."""

    class_index: int
    stages: list[str]
    signed: np.ndarray
    low: list[np.ndarray]
    score: float
    pixel_count: int
    message: str = ""

    @property
    def relu(self) -> np.ndarray:
        return np.maximum(self.signed, 0.0)


def stage_outputs(model: PSPNet, network_input: torch.Tensor,
                  stages: tuple[str, ...] = STAGES) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(low-resolution logits (1, C, h, w), each stage's output) of one forward pass, by hooks."""
    caught: dict[str, torch.Tensor] = {}
    handles = [getattr(model.backbone, name).register_forward_hook(
        lambda _module, _inputs, output, name=name: caught.__setitem__(name, output)) for name in stages]
    try:
        logits = model(network_input, upsample=False)
    finally:
        for handle in handles:
            handle.remove()
    return logits, caught


def _zero(model: PSPNet, network_input: torch.Tensor, geometry: CaptureGeometry, class_index: int,
          stages: tuple[str, ...], message: str, cancel: threading.Event | None) -> StageGradCAM:
    with torch.no_grad(), interruptible(model, cancel):  # still a whole forward (the stages' sizes)
        _, caught = stage_outputs(model, network_input, stages)
    low = [np.zeros(tuple(caught[s].shape[2:]), dtype=np.float32) for s in stages]
    signed = np.zeros((len(stages), *geometry.input_size), dtype=np.float32)
    return StageGradCAM(int(class_index), list(stages), signed, low, 0.0, 0, message)


def stage_gradcam(model: PSPNet, network_input: torch.Tensor, geometry: CaptureGeometry,
                  region: Region | None, class_index: int, stages: tuple[str, ...] = STAGES,
                  class_name: str = "", cancel: threading.Event | None = None) -> StageGradCAM:
    """Grad-CAM of ``class_index`` summed over ``region`` at each backbone stage (heavy: a job).

    ``region`` None (or empty): the class is predicted nowhere, so the maps are zero. A set
    ``cancel`` stops it within one backbone block (forward or backward) with ``Cancelled``.
    """
    if not 0 <= class_index < model.num_classes:
        raise ValueError(f"class {class_index} is not one of the model's {model.num_classes} classes")
    if tuple(network_input.shape[2:]) != tuple(geometry.input_size):
        raise ValueError(f"the network input is {tuple(network_input.shape[2:])}, the capture's "
                         f"{tuple(geometry.input_size)}")
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown backbone stage {unknown[0]!r}; expected one of {', '.join(STAGES)}")
    check_cancel(cancel)  # superseded while it waited in the queue: nothing to run
    weight = model.head.conv.weight
    network_input = network_input.detach().to(weight.device, weight.dtype).clone()
    if region is None or region.pixels == 0:
        name = class_name or f"class {class_index}"
        return _zero(model, network_input, geometry, class_index, stages,
                     f"{name} is predicted nowhere in this image: no pixel to explain, so its Grad-CAM is zero "
                     "(select a region to see the evidence for it there)", cancel)
    # the viewer's worker runs jobs under inference_mode: switch it off for this one
    with torch.inference_mode(False), torch.enable_grad(), interruptible_passes(model, cancel):
        weights = region_cell_weights(geometry, region).clone().to(weight.device)
        logits, caught = stage_outputs(model, network_input.clone(), stages)
        score = (logits[0, class_index].double() * weights).sum()
        acts = [caught[s] for s in stages]
        check_cancel(cancel)  # the head's backward comes first, a long step no block hook sees
        grads = torch.autograd.grad(score, acts)
    signed, low = [], []
    for act, grad in zip(acts, grads):
        alpha = grad[0].double().mean(dim=(1, 2))  # (K,)
        cam = (alpha[:, None, None] * act.detach()[0].double()).sum(0)
        low.append(cam.float().cpu().numpy())
        up = F.interpolate(cam[None, None], size=tuple(geometry.input_size), mode="bilinear",
                           align_corners=model.cfg.align_corners)
        signed.append(up[0, 0].float().cpu().numpy())
    stacked = np.stack(signed)
    message = ""
    if not (stacked > 0).any():
        message = "every stage's weighted sum is <= 0 here: the ReLU maps are zero (the signed maps show why)"
    return StageGradCAM(int(class_index), list(stages), stacked, low, float(score.detach()), region.pixels, message)
