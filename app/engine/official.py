"""The ``official`` protocol: semseg's sliding-window evaluation, as published.

For each scale: the float image is resized (bilinear, half-pixel centres, no
antialiasing: OpenCV INTER_LINEAR on float data) so its long side is
round(scale x base_size); if a side is shorter than the crop, it is padded
*centred* with the mean colour (0 after normalisation); crop x crop windows
slide with stride ceil(crop x 2/3), the last one aligned to the far edge; each
window's logits are upsampled to the crop (the model's align_corners, True for
semseg), softmaxed (``WindowSoftmax``), and averaged with the horizontally flipped pass; the
probabilities are averaged where windows overlap, the padding cut off, and the
map resized (bilinear) to the original size. Scales are averaged, then argmax.

Unlike the published loop this batches windows (``app.engine.windows``, which can also
put windows of several images into one forward), accumulates on the device in
float32 and does the last resize in strips, so memory is bounded by the scaled
maps (C x round(scale x base)^2 floats per scale), not by the photo's size.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from app.checkpoints.meta import Normalization, ProtocolSettings
from app.engine.resize import (STRIP_BYTES, ceil_div, normalize, resize_image, resize_rows,
                               semseg_long_side_size, stride_for_crop, strip_rows)
from app.engine.result import Cancelled
from app.engine.windows import Canvas, WindowImage, WindowValues, run_windows

Forward = Callable[[torch.Tensor], torch.Tensor]  # (B,3,crop,crop) -> the network's low-resolution logits
Progress = Callable[[int, int], None]


def window_starts(length: int, crop: int, stride: int) -> list[int]:
    """Window offsets along one axis of a (padded) length >= crop; last one flush with the end."""
    if length < crop:
        raise ValueError(f"length {length} is shorter than the crop {crop}; pad first")
    count = ceil_div(length - crop, stride) + 1
    return [min(i * stride + crop, length) - crop for i in range(count)]


def centred_padding(length: int, crop: int) -> tuple[int, int]:
    """(before, after) padding to reach the crop size; the smaller half goes first."""
    pad = max(crop - length, 0)
    return pad // 2, pad - pad // 2


@dataclass(frozen=True)
class ScalePlan:
    scale: float
    size: tuple[int, int]              # scaled image (h, w), before padding
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    windows: tuple[tuple[int, int], ...]  # (y, x) of each window in the padded image

    @property
    def padded_size(self) -> tuple[int, int]:
        top, bottom, left, right = self.padding
        return self.size[0] + top + bottom, self.size[1] + left + right


def plan_scales(height: int, width: int, settings: ProtocolSettings) -> list[ScalePlan]:
    crop, stride = settings.crop_size, stride_for_crop(settings.crop_size)
    plans = []
    for scale in settings.scales:
        long_side = round(scale * settings.base_size)
        nh, nw = semseg_long_side_size(height, width, long_side)
        top, bottom = centred_padding(nh, crop)
        left, right = centred_padding(nw, crop)
        ys = window_starts(nh + top + bottom, crop, stride)
        xs = window_starts(nw + left + right, crop, stride)
        plans.append(ScalePlan(scale, (nh, nw), (top, bottom, left, right),
                               tuple((y, x) for y in ys for x in xs)))
    return plans


class WindowSoftmax:
    """What each window adds to its canvas: the softmax of its logits upsampled to the
    window, averaged with its mirrored pass when ``flip`` (semseg's ``net_process``).

    ``forward`` gives the network's low-resolution logits; they are upsampled here with
    torch's bilinear kernel and the model's ``align_corners``, as ``upsample_logits`` does.
    On the CPU the upsampled logits go into one buffer kept from window to window and the
    softmax runs in place: a fresh (2B, C, crop, crop) tensor per window cost more in page
    faults than the arithmetic (measured for PSPNet-50's pair of 150 x 473 x 473 maps: 433
    vs 139 ms for the upsampling, 204 vs 89 ms for the softmax); the mirrored half is added
    through a reversed numpy view (torch.flip copies it, in twice the time). The same
    operations on the same values in the same order: bitwise the same probabilities as
    ``torch.softmax(F.interpolate(...))`` (tests). Elsewhere (a GPU, half precision) the
    plain torch expressions run, in the logits' own dtype until the softmax, as before.

    The returned tensor is a view of the buffer, valid until the next call: ``run_windows``
    adds each batch to its canvases before the next forward.
    """

    def __init__(self, forward: Forward, flip: bool, align_corners: bool) -> None:
        self.forward, self.flip, self.align_corners = forward, flip, align_corners
        self._storage: torch.Tensor | None = None

    def __call__(self, crops: torch.Tensor) -> torch.Tensor:
        batch, size = crops.shape[0], (int(crops.shape[2]), int(crops.shape[3]))
        logits = self.forward(torch.cat([crops, crops.flip(3)]) if self.flip else crops)
        if logits.device.type != "cpu" or logits.dtype != torch.float32:
            return self._plain(logits, batch, size)
        probs = self._buffer((logits.shape[0], logits.shape[1], *size))
        torch.ops.aten.upsample_bilinear2d.out(logits, list(size), self.align_corners, None, None, out=probs)
        torch.softmax(probs, 1, out=probs)
        if not self.flip:
            return probs
        mean = probs[:batch]
        np_mean = mean.numpy()
        np.add(np_mean, probs[batch:].numpy()[..., ::-1], out=np_mean)
        return mean.div_(2)

    def _plain(self, logits: torch.Tensor, batch: int, size: tuple[int, int]) -> torch.Tensor:
        upsampled = F.interpolate(logits, size=size, mode="bilinear", align_corners=self.align_corners)
        probs = torch.softmax(upsampled.float(), dim=1)
        if self.flip:  # in place: the same sums, without two more (B, C, crop, crop) temporaries
            mean = probs[:batch]
            mean += probs[batch:].flip(3)
            return mean.div_(2)
        return probs

    def _buffer(self, shape: tuple[int, ...]) -> torch.Tensor:
        """A float32 CPU tensor of ``shape`` on storage kept between calls (grown when needed)."""
        count = int(np.prod(shape))
        if self._storage is None or self._storage.numel() < count:
            self._storage = torch.empty(count, dtype=torch.float32)
        return self._storage[:count].view(shape)


def official_image(image: np.ndarray, settings: ProtocolSettings, normalization: Normalization,
                   num_classes: int, label_dtype: np.dtype, device: torch.device,
                   cancel: threading.Event | None = None, budget: int = STRIP_BYTES
                   ) -> WindowImage[tuple[np.ndarray, np.ndarray]]:
    """One image's scales as canvases for ``run_windows``; finished into labels and confidence."""
    height, width = image.shape[:2]
    plans = plan_scales(height, width, settings)

    def canvas(plan: ScalePlan) -> Callable[[], Canvas]:
        return lambda: scale_canvas(image, plan, settings.crop_size, normalization, num_classes, device)

    def finish(canvases: list[Canvas]) -> tuple[np.ndarray, np.ndarray]:
        per_scale = [unpadded(c.mean, plan) for c, plan in zip(canvases, plans)]
        return average_scales(per_scale, height, width, num_classes, label_dtype, cancel, budget)

    return WindowImage([canvas(p) for p in plans], [len(p.windows) for p in plans], finish)


def scale_canvas(image: np.ndarray, plan: ScalePlan, crop: int, normalization: Normalization,
                 num_classes: int, device: torch.device) -> Canvas:
    """The scaled, normalised and padded image of one scale, with its crop x crop windows."""
    nh, nw = plan.size
    top, bottom, left, right = plan.padding
    planes = normalize(resize_image(image, nh, nw, round_to_uint8=False, device=device),
                       normalization.mean, normalization.std)
    padded = torch.nn.functional.pad(planes, (left, right, top, bottom), value=0.0)
    return Canvas.blank(padded, [(y, y + crop, x, x + crop) for y, x in plan.windows], num_classes)


def unpadded(probs: torch.Tensor, plan: ScalePlan) -> torch.Tensor:
    """(C, h, w) of a scale's window-averaged probabilities, padding removed."""
    nh, nw = plan.size
    top, _, left, _ = plan.padding
    return probs[:, top:top + nh, left:left + nw]


def official_values(forward: Forward, flip: bool, align_corners: bool) -> WindowValues:
    """What each window adds to its canvas: its softmax (flip-averaged when ``flip``), from
    ``forward``'s low-resolution logits (``WindowSoftmax``)."""
    return WindowSoftmax(forward, flip, align_corners)


def run_official(forward: Forward, image: np.ndarray, settings: ProtocolSettings,
                 normalization: Normalization, num_classes: int, label_dtype: np.dtype,
                 device: torch.device, align_corners: bool, window_batch: int = 1,
                 cancel: threading.Event | None = None, progress: Progress | None = None,
                 budget: int = STRIP_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Labels and confidence (mean probability of the chosen class) at the original size."""
    job = official_image(image, settings, normalization, num_classes, label_dtype, device, cancel, budget)
    return run_windows([job], official_values(forward, settings.flip, align_corners), window_batch, cancel,
                       progress, across_canvases=False)[0]


def average_scales(per_scale: list[torch.Tensor], height: int, width: int, num_classes: int,
                   label_dtype: np.dtype, cancel: threading.Event | None = None, budget: int = STRIP_BYTES
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Each scale's probabilities resized to the original size, averaged, argmax (in strips)."""
    labels = np.empty((height, width), dtype=label_dtype)
    confidence = np.empty((height, width), dtype=np.float32)
    step = strip_rows(num_classes * 2, width, budget)
    for start in range(0, height, step):
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        end = min(height, start + step)
        acc = None
        for probs in per_scale:
            rows = resize_rows(probs, height, width, start, end, align_corners=False)
            acc = rows if acc is None else acc.add_(rows)
        assert acc is not None  # at least one scale
        if len(per_scale) > 1:  # one scale: a division by 1 would change nothing
            acc /= len(per_scale)
        conf, best = acc.max(0)  # the first maximum on ties, like np.argmax, and its value
        labels[start:end] = best.cpu().numpy().astype(label_dtype, copy=False)
        confidence[start:end] = conf.cpu().numpy()
    return labels, confidence
