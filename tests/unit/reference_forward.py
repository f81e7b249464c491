"""An independent PSPNet forward straight from a published state_dict.

Written with F.conv2d / F.batch_norm on the file's own key names and each
implementation's own dilation scheme and align_corners, sharing no code with
app.model, so that a wrong key mapping, stride, dilation or interpolation in the
app shows up as different logits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Names:
    """Where each part of PSPNet lives in one implementation's state_dict."""

    stem: tuple[tuple[str, str], ...]  # (conv, bn) prefixes of the three stem convs
    layer: str  # prefix of the residual stages, e.g. "backbone.layer"
    ppm_conv: Callable[[int], str]
    ppm_bn: Callable[[int], str]
    head_conv: str
    head_bn: str
    classifier: str


SEMSEG = Names(stem=(("layer0.0", "layer0.1"), ("layer0.3", "layer0.4"), ("layer0.6", "layer0.7")),
               layer="layer", ppm_conv=lambda i: f"ppm.features.{i}.1",
               ppm_bn=lambda i: f"ppm.features.{i}.2", head_conv="cls.0", head_bn="cls.1",
               classifier="cls.4")
MMSEG = Names(stem=(("backbone.stem.0", "backbone.stem.1"), ("backbone.stem.3", "backbone.stem.4"),
                    ("backbone.stem.6", "backbone.stem.7")),
              layer="backbone.layer", ppm_conv=lambda i: f"decode_head.psp_modules.{i}.1.conv",
              ppm_bn=lambda i: f"decode_head.psp_modules.{i}.1.bn",
              head_conv="decode_head.bottleneck.conv", head_bn="decode_head.bottleneck.bn",
              classifier="decode_head.conv_seg")
CSAIL = Names(stem=(("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")), layer="layer",
              ppm_conv=lambda i: f"ppm.{i}.1", ppm_bn=lambda i: f"ppm.{i}.2",
              head_conv="conv_last.0", head_bn="conv_last.1", classifier="conv_last.4")


def _bn(x: torch.Tensor, sd: Tensors, p: str) -> torch.Tensor:
    return F.batch_norm(x, sd[f"{p}.running_mean"], sd[f"{p}.running_var"], sd[f"{p}.weight"],
                        sd[f"{p}.bias"], training=False, momentum=0.0, eps=1e-5)


def _conv(x: torch.Tensor, sd: Tensors, p: str, stride: int = 1, dilation: int = 1) -> torch.Tensor:
    weight = sd[f"{p}.weight"]
    padding = dilation * (weight.shape[-1] // 2)
    return F.conv2d(x, weight, sd.get(f"{p}.bias"), stride, padding, dilation)


def _blocks(sd: Tensors, prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.")
    return 1 + max(int(m.group(1)) for k in sd if (m := pattern.match(k)))


def backbone(x: torch.Tensor, sd: Tensors, names: Names, contract_dilation: bool) -> torch.Tensor:
    """Deep stem, max-pool, four Bottleneck stages; output stride 8."""
    for i, (conv, bn) in enumerate(names.stem):
        x = F.relu(_bn(_conv(x, sd, conv, stride=2 if i == 0 else 1), sd, bn))
    x = F.max_pool2d(x, 3, 2, 1)
    # (stride of the stage's first block, dilation of the stage)
    for stage, (stride, dilation) in enumerate([(1, 1), (2, 1), (1, 2), (1, 4)], start=1):
        prefix = f"{names.layer}{stage}"
        for i in range(_blocks(sd, prefix)):
            p = f"{prefix}.{i}"
            s = stride if i == 0 else 1
            d = dilation // 2 if (contract_dilation and i == 0 and dilation > 1) else dilation
            out = F.relu(_bn(_conv(x, sd, f"{p}.conv1"), sd, f"{p}.bn1"))
            out = F.relu(_bn(_conv(out, sd, f"{p}.conv2", stride=s, dilation=d), sd, f"{p}.bn2"))
            out = _bn(_conv(out, sd, f"{p}.conv3"), sd, f"{p}.bn3")
            identity = x
            if f"{p}.downsample.0.weight" in sd:
                identity = _bn(_conv(x, sd, f"{p}.downsample.0", stride=s), sd, f"{p}.downsample.1")
            x = F.relu(out + identity)
    return x


def pspnet_logits(x: torch.Tensor, sd: Tensors, names: Names, contract_dilation: bool,
                  align_corners: bool, bins: tuple[int, ...] = (1, 2, 3, 6)) -> torch.Tensor:
    """Logits at the input size, as the implementation computes them at test time."""
    feats = backbone(x, sd, names, contract_dilation)
    size = feats.shape[2:]
    parts = [feats]
    for i, b in enumerate(bins):
        pooled = F.adaptive_avg_pool2d(feats, b)
        pooled = F.relu(_bn(_conv(pooled, sd, names.ppm_conv(i)), sd, names.ppm_bn(i)))
        parts.append(F.interpolate(pooled, size=size, mode="bilinear", align_corners=align_corners))
    out = F.relu(_bn(_conv(torch.cat(parts, 1), sd, names.head_conv), sd, names.head_bn))
    logits = _conv(out, sd, names.classifier)  # Dropout2d is the identity at test time
    return F.interpolate(logits, size=x.shape[2:], mode="bilinear", align_corners=align_corners)
