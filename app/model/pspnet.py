"""PSPNet: dilated ResNet, pyramid pooling module, segmentation head.

The state_dict uses this project's own key names (``backbone.*``, ``ppm.branches.i.*``,
``head.*``, ``aux.*``); ``app.checkpoints`` maps each published layout onto them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from app.model.backbones import DilatedResNet
from app.model.config import PSPNetConfig
from app.model.ppm import PPMCapture, PyramidPooling


class ConvHead(nn.Module):
    """3x3 conv -> BN -> ReLU -> Dropout2d -> 1x1 classifier (the PSP and aux heads)."""

    def __init__(self, in_channels: int, mid_channels: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, mid_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(mid_channels)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(mid_channels, num_classes, 1)

    def after_conv(self, response: torch.Tensor) -> torch.Tensor:
        """Everything after the first conv, given that conv's response."""
        return self.classifier(self.dropout(F.relu(self.bn(response))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.after_conv(self.conv(x))


class PSPNet(nn.Module):
    def __init__(self, cfg: PSPNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = DilatedResNet(cfg)
        self.ppm = PyramidPooling(cfg.feature_channels, cfg.ppm_channels, cfg.bins, cfg.align_corners)
        self.head = ConvHead(self.ppm.out_channels, cfg.head_channels, cfg.num_classes, cfg.dropout)
        self.aux = (ConvHead(cfg.aux_in_channels, cfg.aux_channels, cfg.num_classes, cfg.dropout)
                    if cfg.aux else None)

    @property
    def num_classes(self) -> int:
        return self.cfg.num_classes

    def upsample_logits(self, logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=self.cfg.align_corners)

    def forward(self, x: torch.Tensor, upsample: bool = True) -> torch.Tensor:
        """Logits for a normalised batch; at the input's size unless ``upsample`` is False."""
        logits, _ = self.forward_with_capture(x, upsample=upsample, capture=False)
        return logits

    def forward_with_capture(self, x: torch.Tensor, upsample: bool = True, capture: bool = True
                             ) -> tuple[torch.Tensor, PPMCapture | None]:
        """One pass that also returns the PPM's activations (no second backbone pass)."""
        _, c4 = self.backbone(x)
        concat, cap = self.ppm(c4, capture=capture)
        logits = self.head(concat)
        if upsample:
            logits = self.upsample_logits(logits, (x.shape[2], x.shape[3]))
        return logits, cap

    def forward_train(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Main and auxiliary logits at the input size, for training losses."""
        size = (x.shape[2], x.shape[3])
        c3, c4 = self.backbone(x)
        concat, _ = self.ppm(c4)
        main = self.upsample_logits(self.head(concat), size)
        aux = self.upsample_logits(self.aux(c3), size) if self.aux is not None else None
        return main, aux

    # --- the head on given PPM parts: ablations and contributions -----------------

    def head_input_slices(self) -> list[slice]:
        """Channel ranges of [features, branch1, branch2, ...] in the head's input."""
        bounds = [0, self.cfg.feature_channels]
        bounds += [self.cfg.feature_channels + (i + 1) * self.cfg.ppm_channels
                   for i in range(len(self.cfg.bins))]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

    def head_conv_parts(self, parts: list[torch.Tensor]) -> list[torch.Tensor]:
        """The head's first conv applied to each part alone; they sum to its full response.

        The conv is linear and has no bias, so splitting its weight by input channel
        gives each part's exact share.
        """
        weight = self.head.conv.weight
        return [F.conv2d(part, weight[:, sl], padding=1)
                for part, sl in zip(parts, self.head_input_slices())]

    def head_from_parts(self, parts: list[torch.Tensor]) -> torch.Tensor:
        """Low-resolution logits from [features, *upsampled branches] (edited or not)."""
        return self.head(torch.cat(parts, dim=1))


def build_pspnet(cfg: PSPNetConfig) -> PSPNet:
    """A PSPNet in eval mode with freshly initialised weights."""
    return PSPNet(cfg).eval()


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
