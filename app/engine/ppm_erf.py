"""The effective receptive field of a photo pixel's logit: through the whole net and per path.

The head's input is ``[features, bin 1, bin 2, ...]``; every part is computed from the
backbone's features, so by the chain rule the gradient of a logit with respect to the
network input is exactly the sum of one gradient per part (per path):

    d logit / d input = sum_p  (d logit / d part_p) (d part_p / d features) (d features / d input)

where the features path goes straight from the head to the backbone and branch i's
path goes through its pooling, 1x1 conv, BN, ReLU and upsampling. ``receptive_field``
computes each path's gradient with one backbone backward pass each (their sum is the
full gradient; the tests check it against a plain autograd of the whole network), and
the magnitudes (L2 over the input's colour channels) are what the inspector draws.

The *analytic* receptive field (``path_bounds``) is the box of input pixels a path can
reach at all: the backbone's receptive field (walked from its convolutions) around the
feature cells the path mixes: the pixel's cells, their 3x3 neighbourhoods in the
head's conv, and for a branch, every feature cell pooled into the bins whose upsampling
reaches those cells. Outside that box the gradient is exactly zero.

A field takes seconds on a ResNet-50, and the user may ask for another before it is done:
``cancel`` (the engine's ``threading.Event``, ``app.engine.cancel``) is checked at every
backbone block of the forward and again as each backward pass reaches a block's output,
so a superseded request stops within one block with ``Cancelled``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from app.checkpoints.meta import Normalization
from app.engine.cancel import check_cancel, interruptible_passes
from app.engine.fast import resized_input
from app.engine.ppm_analysis import part_names
from app.engine.ppm_geometry import CaptureGeometry, interpolation_matrix
from app.model import PSPNet

Span = tuple[int, int]  # first and last index, both included
Box = tuple[int, int, int, int]  # y0, y1, x0, x1 in network-input pixels, ends excluded


@dataclass(frozen=True)
class BackboneField:
    """Receptive field of one backbone output cell: ``size`` input pixels wide, cells ``stride`` apart.

    Cell i is centred on input pixel ``offset + i * stride``.
    """

    size: int
    stride: int
    offset: float

    def input_span(self, first: int, last: int, length: int) -> Span:
        """Input pixels (clipped to ``length``) that cells ``first..last`` can see."""
        half = (self.size - 1) / 2
        lo = int(np.floor(self.offset + first * self.stride - half))
        hi = int(np.ceil(self.offset + last * self.stride + half))
        return max(lo, 0), min(hi, length - 1)


def _pair(value: int | tuple[int, ...]) -> int:
    """One side of a square kernel, stride, padding or dilation (the backbones only use square ones)."""
    return int(value[0]) if isinstance(value, tuple) else int(value)


def backbone_field(backbone: nn.Module) -> BackboneField:
    """The receptive field of the backbone's output, from its convolutions and poolings in order.

    The residual shortcuts (``downsample``: 1x1 convs) see less than the main path, so
    the main path's chain of convs is the field.
    """
    size, stride, offset = 1, 1, 0.0
    for name, module in backbone.named_modules():
        if "downsample" in name or not isinstance(module, (nn.Conv2d, nn.MaxPool2d)):
            continue
        kernel = _pair(module.kernel_size)
        step, pad, dil = _pair(module.stride), _pair(module.padding), _pair(module.dilation)  # type: ignore[arg-type]
        offset += ((kernel - 1) * dil / 2 - pad) * stride
        size += (kernel - 1) * dil * stride
        stride *= step
    return BackboneField(size, stride, offset)


def pooled_rows(bins: int, length: int, first: int, last: int, align_corners: bool) -> Span:
    """Feature rows that branch ``bins`` pools into the bins its upsampling mixes into rows first..last."""
    up = interpolation_matrix(bins, length, align_corners)[first:last + 1]  # (rows, bins)
    used = torch.nonzero(up.abs().sum(0)).flatten()
    b0, b1 = int(used[0]), int(used[-1])
    # adaptive average pooling: bin k averages rows floor(k n / b) .. ceil((k + 1) n / b) - 1
    return (b0 * length) // bins, -((-(b1 + 1) * length) // bins) - 1


def path_bounds(model: PSPNet, geometry: CaptureGeometry, x: int, y: int) -> list[Box]:
    """Per path ([features, bin 1, ...]): the box of network-input pixels its gradient can reach."""
    field = backbone_field(model.backbone)
    (fh, fw), (ih, iw) = geometry.feature_size, geometry.input_size
    cells = geometry.pixel_cells(x, y)
    rows = [i for i, _, _ in cells]
    cols = [j for _, j, _ in cells]
    # the head's 3x3 conv (padding 1) reads one cell further on each side
    row_span = (max(min(rows) - 1, 0), min(max(rows) + 1, fh - 1))
    col_span = (max(min(cols) - 1, 0), min(max(cols) + 1, fw - 1))
    spans = [(row_span, col_span)]
    for b in model.cfg.bins:
        spans.append((pooled_rows(b, fh, *row_span, geometry.align_corners),
                      pooled_rows(b, fw, *col_span, geometry.align_corners)))
    boxes = []
    for (r0, r1), (c0, c1) in spans:
        y0, y1 = field.input_span(r0, r1, ih)
        x0, x1 = field.input_span(c0, c1, iw)
        boxes.append((y0, y1 + 1, x0, x1 + 1))
    return boxes


@dataclass
class ReceptiveField:
    """Input gradients of one photo pixel's logit, per path; ``full`` is their sum.

    ``paths`` (P, 3, h, w) signed gradients with respect to the normalised network input
    (h, w = ``input_size``); ``bounds`` the analytic box of each path.
    """

    x: int
    y: int
    class_index: int
    logit: float
    names: list[str]
    paths: np.ndarray
    bounds: list[Box]

    @property
    def full(self) -> np.ndarray:
        """(3, h, w) the gradient through the whole network (the paths' sum, by the chain rule)."""
        return self.paths.sum(0)

    @property
    def full_bounds(self) -> Box:
        y0s, y1s, x0s, x1s = zip(*self.bounds)
        return (min(y0s), max(y1s), min(x0s), max(x1s))

    def magnitudes(self) -> np.ndarray:
        """(1 + P, h, w): the L2 norm over colour channels of the full gradient, then of each path's."""
        return path_magnitudes(self.full, self.paths)


def receptive_field(model: PSPNet, network_input: torch.Tensor, geometry: CaptureGeometry, x: int, y: int,
                    class_index: int | None = None, cancel: threading.Event | None = None) -> ReceptiveField:
    """The gradient of photo pixel (x, y)'s logit (its predicted class, or ``class_index``) per path.

    ``network_input`` is the normalised (1, 3, h, w) input of the pass that made the capture
    (``fast.resized_input`` at ``geometry.input_size``). Heavy: one forward and one backbone
    backward per path; run it as a job. A set ``cancel`` stops it with ``Cancelled``.
    """
    height, width = geometry.image_size
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"pixel ({x}, {y}) is outside the {width}x{height} image")
    if tuple(network_input.shape[2:]) != tuple(geometry.input_size):
        raise ValueError(f"the network input is {tuple(network_input.shape[2:])}, the capture's "
                         f"{tuple(geometry.input_size)}")
    cells = geometry.pixel_cells(x, y)
    weights = [w for _, _, w in cells]
    rows, cols = [i for i, _, _ in cells], [j for _, j, _ in cells]

    def pixel_logits(logits: torch.Tensor) -> torch.Tensor:
        # made here, inside path_gradients' autograd block: a tensor made under the worker's
        # inference_mode could not be saved for backward
        mix = torch.tensor(weights, dtype=torch.float64, device=logits.device)
        return logits[:, rows, cols].double() @ mix  # the photo pixel's logits (C,)

    target, logit, paths = path_gradients(model, network_input, pixel_logits, class_index, cancel)
    return ReceptiveField(int(x), int(y), target, logit, part_names(model.cfg.bins), paths,
                          path_bounds(model, geometry, x, y))


def path_gradients(model: PSPNet, network_input: torch.Tensor, score: Callable[[torch.Tensor], torch.Tensor],
                   class_index: int | None, cancel: threading.Event | None = None) -> tuple[int, float, np.ndarray]:
    """(class, its score, (P, 3, h, w) input gradients per path) of ``score(low logits)[class]``.

    ``score`` maps the (C, h, w) low-resolution logits to (C,) scores (a pixel's logits, a
    region's sums); the class is ``class_index`` or the best-scoring one. A set ``cancel``
    raises ``Cancelled`` within one backbone block (forward or backward).
    """
    check_cancel(cancel)  # superseded while it waited in the queue: nothing to run
    weight = model.head.conv.weight
    # the viewer's worker runs jobs under inference_mode: switch it off for this one
    with torch.inference_mode(False), torch.enable_grad(), interruptible_passes(model, cancel):
        image = network_input.detach().to(weight.device, weight.dtype).clone().requires_grad_(True)
        _, features = model.backbone(image)
        split = features.detach().requires_grad_(True)  # where the paths part
        size = (int(split.shape[2]), int(split.shape[3]))
        branches = [model.ppm.upsample(branch(split), size) for branch in model.ppm.branches]
        heads = [t.detach().requires_grad_(True) for t in (split, *branches)]
        scores = score(model.head_from_parts(heads)[0])  # (C,)
        target = int(torch.argmax(scores)) if class_index is None else int(class_index)
        head_grads = torch.autograd.grad(scores[target], heads)
        at_features = [head_grads[0]] + [
            torch.autograd.grad(branch, split, grad, retain_graph=True)[0]
            for branch, grad in zip(branches, head_grads[1:])]
        paths = []
        for grad in at_features:  # one backbone backward per path
            check_cancel(cancel)
            paths.append(torch.autograd.grad(features, image, grad, retain_graph=True)[0][0])
    return target, float(scores[target].detach()), torch.stack(paths).float().cpu().numpy()


def path_magnitudes(full: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """(1 + P, h, w): the L2 norm over colour channels of the full gradient, then of each path's."""
    signed = np.concatenate([full[None], paths])
    return np.sqrt((signed.astype(np.float64) ** 2).sum(1)).astype(np.float32)


def capture_input(image: np.ndarray, geometry: CaptureGeometry, normalization: Normalization,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """The normalised network input of the whole-image pass a capture came from (fast protocol).

    The photo resized to ``geometry.input_size`` as the engine does (OpenCV's rounding,
    or PIL's bilinear for CSAIL models, whose logits go straight to the photo).
    """
    if geometry.content_box is not None:
        raise ValueError("a padded network input is not supported by the receptive-field view")
    return resized_input(image, geometry.input_size, not geometry.via_input, normalization, torch.device(device))


def box_fraction(box: Box, input_size: tuple[int, int]) -> float:
    """How much of the input a box covers (1.0: the whole input)."""
    y0, y1, x0, x1 = box
    return (y1 - y0) * (x1 - x0) / float(input_size[0] * input_size[1])
