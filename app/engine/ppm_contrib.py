"""What each part of the head's input contributes to the predicted class.

The head is conv3x3 (linear, no bias) -> BN -> ReLU -> dropout (identity in eval) ->
1x1 classifier. ``model.head_conv_parts`` splits the conv's response r into the
shares r_p of [features, bin 1, bin 2, ...]. In eval mode BN is the per-channel
affine y = a * r + b. Given the ReLU gate m = (y > 0), fixed by the full response
at that position, the logit of class c is

    logit_c = sum_k W[c,k] m_k (a_k sum_p r_p,k + b_k) + bias_c
            = sum_p [ sum_k W[c,k] m_k a_k r_p,k ]  +  [ sum_k W[c,k] m_k b_k + bias_c ]

so each part's share toward the class is exact, and the last term (BN shift and
classifier bias through the open gates) is the part no input explains. The photo's
logits are a fixed linear mix of feature cells (see ``ppm_geometry``), so a clicked
photo pixel is attributed exactly too.

The head's conv over the whole map (``head_responses``, what the contribution maps,
region splits and class maps share) takes up to a second on a ResNet-50; its ``cancel``
(the capture's: set when the user leaves the image) is looked at before each part's conv.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from app.engine.cancel import check_cancel
from app.engine.ppm_analysis import part_names
from app.engine.ppm_geometry import CaptureGeometry
from app.model import PPMCapture, PSPNet


@dataclass(frozen=True)
class HeadAffine:
    """The head after its conv, as plain tensors: BN scale/shift and the classifier."""

    scale: torch.Tensor  # (K,)
    shift: torch.Tensor  # (K,)
    weight: torch.Tensor  # (C, K)
    bias: torch.Tensor  # (C,)


def head_affine(model: PSPNet) -> HeadAffine:
    bn = model.head.bn
    assert bn.running_var is not None and bn.running_mean is not None  # a BN with running stats
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias - bn.running_mean * scale
    cls = model.head.classifier
    weight = cls.weight.reshape(cls.out_channels, -1)
    bias = cls.bias if cls.bias is not None else torch.zeros(cls.out_channels)
    return HeadAffine(*(t.detach().float().cpu() for t in (scale, shift, weight, bias)))


def head_parts(capture: PPMCapture, device: torch.device | str = "cpu",
               dtype: torch.dtype = torch.float32) -> list[torch.Tensor]:
    """[features, *upsampled] of a capture on a device: the head's input, split."""
    return [t.to(device=device, dtype=dtype) for t in (capture.features, *capture.upsampled)]


def model_parts(model: PSPNet, capture: PPMCapture) -> list[torch.Tensor]:
    """The capture's parts where the model's weights are, in their dtype (the model may sit on a GPU)."""
    weight = model.head.conv.weight
    return head_parts(capture, weight.device, weight.dtype)


@dataclass
class ContributionMaps:
    """Per feature cell: each part's share of the predicted class's logit.

    ``shares`` (P, h, w) for [features, bin ...], ``bias`` (h, w) the unexplained
    term; ``shares.sum(0) + bias == logits[predicted]``. ``logits`` (C, h, w) are
    the head's low-resolution logits on the captured activations.
    """

    names: list[str]
    shares: np.ndarray
    bias: np.ndarray
    logits: np.ndarray
    predicted: np.ndarray

    def fractions(self) -> np.ndarray:
        """(P,) mean absolute share of each part over the map, as fractions summing to 1."""
        mass = np.abs(self.shares).reshape(self.shares.shape[0], -1).mean(axis=1)
        return mass / max(float(mass.sum()), 1e-12)


@dataclass
class HeadResponses:
    """The head's conv response split by part, with the ReLU gates the full response fixes.

    Every class's exact split follows from these without touching the conv again
    (``class_shares``, and ``ppm_region.split_region`` for any set of photo pixels).
    ``responses`` (K, P, h, w) float32 on the CPU, channel-major so that a region's
    split is one batched product per channel without a copy; ``gate`` (K, h, w) 0/1;
    ``logits`` (C, h, w) the head's low-resolution logits.
    """

    names: list[str]
    responses: torch.Tensor
    gate: torch.Tensor
    affine: HeadAffine
    logits: torch.Tensor

    def class_shares(self, class_index: int) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, each part's share (P, h, w) of class ``class_index``'s logit and the bias term (h, w)."""
        aff = self.affine
        toward = aff.weight[class_index][:, None, None] * self.gate  # (K, h, w): W[c, k] m_k
        shares = (self.responses * (toward * aff.scale[:, None, None])[:, None]).sum(0)  # einsum: ~100x slower
        rest = (toward * aff.shift[:, None, None]).sum(0) + aff.bias[class_index]
        return shares.numpy(), rest.numpy()


@torch.inference_mode()
def head_responses(model: PSPNet, capture: PPMCapture, cancel: threading.Event | None = None) -> HeadResponses:
    """The conv's per-part responses and gates (heavy, the full 3x3 conv: run it off the GUI thread).

    A set ``cancel`` raises ``Cancelled`` before the next part's conv."""
    parts = model_parts(model, capture)
    device = parts[0].device
    weight = model.head.conv.weight
    convolved = []
    for part, channels in zip(parts, model.head_input_slices()):  # model.head_conv_parts, one part at a time
        check_cancel(cancel)  # (the features' conv alone is about half of the work)
        convolved.append(F.conv2d(part, weight[:, channels], padding=1)[0].float())
    responses = torch.stack(convolved)  # (P, K, h, w)
    aff = head_affine(model)
    scale, shift = aff.scale.to(device), aff.shift.to(device)
    pre = scale[:, None, None] * responses.sum(0) + shift[:, None, None]
    gate = (pre > 0).float()
    logits = torch.einsum("ck,khw->chw", aff.weight.to(device), gate * pre) + aff.bias.to(device)[:, None, None]
    return HeadResponses(part_names(capture.bins), responses.transpose(0, 1).contiguous().cpu(), gate.cpu(), aff,
                         logits.cpu())


class LazyHeadResponses:
    """One capture's ``HeadResponses``, computed by the first job that needs them (thread-safe).

    The inspector's model jobs (contribution maps, region splits, class maps) may be
    queued before the first has finished; the lock makes the later ones reuse its result.
    ``cancel`` is the capture's own (set when the user leaves its image), not a job's: a
    newer region split needs the same responses, so it must not stop their computation.
    Once set, ``get`` raises ``Cancelled``.
    """

    def __init__(self, capture: PPMCapture, cancel: threading.Event | None = None) -> None:
        self.capture = capture
        self.cancel = cancel
        self._lock = threading.Lock()
        self._value: HeadResponses | None = None

    def get(self, model: PSPNet) -> HeadResponses:
        with self._lock:
            check_cancel(self.cancel)
            if self._value is None:
                self._value = head_responses(model, self.capture, self.cancel)
            return self._value

    @property
    def ready(self) -> bool:
        return self._value is not None


def maps_from_responses(head: HeadResponses) -> ContributionMaps:
    """Shares of every part toward each cell's predicted class."""
    aff = head.affine
    predicted = head.logits.argmax(0)
    toward = aff.weight.T[:, predicted] * head.gate  # (K, h, w): W[c(cell), k] * m_k at each cell
    shares = (head.responses * (toward * aff.scale[:, None, None])[:, None]).sum(0)
    rest = (toward * aff.shift[:, None, None]).sum(0) + aff.bias[predicted]
    return ContributionMaps(list(head.names), shares.numpy(), rest.numpy(), head.logits.numpy(),
                            predicted.numpy())


def contribution_maps(model: PSPNet, capture: PPMCapture) -> ContributionMaps:
    """Shares of every part toward each cell's predicted class (heavy: run it off the GUI thread)."""
    return maps_from_responses(head_responses(model, capture))


@dataclass
class PixelAttribution:
    """A photo pixel's predicted-class logit, split exactly into the parts' shares."""

    x: int
    y: int
    class_index: int
    logit: float
    names: list[str]
    shares: np.ndarray  # (P,)
    bias: float
    logits: np.ndarray  # (C,) all classes' logits at the pixel
    cells: list[tuple[int, int, float]]  # feature cells mixed into the pixel, with weights
    class_shares: np.ndarray | None = None  # (P, C): every class's split, for comparisons
    class_bias: np.ndarray | None = None  # (C,)

    @property
    def runner_up(self) -> int:
        order = np.argsort(-self.logits, kind="stable")
        return int(order[1]) if len(order) > 1 else int(order[0])


def _cell_patches(part: torch.Tensor, cells: list[tuple[int, int, float]]) -> torch.Tensor:
    """(C*9, n) float32: each cell's 3x3 neighbourhood, zero outside the map (the conv's padding)."""
    _, channels, height, width = part.shape
    patches = torch.zeros((len(cells), channels, 3, 3))
    for n, (i, j, _) in enumerate(cells):
        r0, r1, c0, c1 = max(i - 1, 0), min(i + 2, height), max(j - 1, 0), min(j + 2, width)
        patches[n, :, r0 - i + 1:r1 - i + 1, c0 - j + 1:c1 - j + 1] = part[0, :, r0:r1, c0:c1].float()
    return patches.reshape(len(cells), -1).T


@torch.inference_mode()
def attribute_pixel(model: PSPNet, capture: PPMCapture, geometry: CaptureGeometry, x: int, y: int,
                    class_index: int | None = None) -> PixelAttribution:
    """Split the logit of the pixel's predicted class (or ``class_index``) into the parts.

    Only the few feature cells the pixel mixes are evaluated (3x3 conv at each), so
    this is cheap enough to run on a click, even for ResNet-50's 2048 channels.
    """
    height, width = geometry.image_size
    if not (0 <= x < width and 0 <= y < height):
        raise ValueError(f"pixel ({x}, {y}) is outside the {width}x{height} image")
    parts = [capture.features, *capture.upsampled]
    conv_weight = model.head.conv.weight.detach().float().cpu()
    aff = head_affine(model)
    cells = geometry.pixel_cells(x, y)
    mix = torch.tensor([w for _, _, w in cells], dtype=torch.float64)
    # responses[p, :, n]: part p's share of the conv response at cell n, all cells in one product
    responses = torch.stack([conv_weight[:, sl].reshape(conv_weight.shape[0], -1) @ _cell_patches(p, cells)
                             for p, sl in zip(parts, model.head_input_slices())])  # (P, K, n)
    pre = aff.scale[:, None] * responses.sum(0) + aff.shift[:, None]  # (K, n)
    open_gate = (pre > 0).float()
    scaled = responses * (aff.scale[:, None] * open_gate)  # (P, K, n)
    part_terms = (torch.einsum("ck,pkn->pcn", aff.weight, scaled).double() * mix).sum(-1)  # (P, C)
    rest_cells = aff.weight @ (aff.shift[:, None] * open_gate) + aff.bias[:, None]  # (C, n)
    rest = (rest_cells.double() * mix).sum(-1)
    logits = part_terms.sum(0) + rest
    cls = int(torch.argmax(logits)) if class_index is None else int(class_index)
    return PixelAttribution(x, y, cls, float(logits[cls]), part_names(capture.bins),
                            part_terms[:, cls].numpy(), float(rest[cls]), logits.numpy(), cells,
                            part_terms.numpy(), rest.numpy())
