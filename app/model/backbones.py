"""Dilated ResNet backbones with a deep stem, output stride 8.

Module names (``stem.N``, ``layerK.i.conv1``, ``bn1``, ``downsample.0/1``) follow the
published implementations so that their residual stages map one-to-one; only the
stem is named differently by each of them, which ``app.checkpoints`` renames.
"""

from __future__ import annotations

import torch
from torch import nn

from app.model.config import PSPNetConfig


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels)


class Bottleneck(nn.Module):
    """ResNet v1 bottleneck, stride on the 3x3 conv ("pytorch style")."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int, dilation: int,
                 downsample: nn.Module | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = _bn(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn2 = _bn(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = _bn(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class BasicBlock(nn.Module):
    """Two 3x3 convs; used by the project's compact models (ResNet-18/34 shapes)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int, dilation: int,
                 downsample: nn.Module | None, conv2_dilation: int | None = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn1 = _bn(planes)
        d2 = dilation if conv2_dilation is None else conv2_dilation
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=d2, dilation=d2, bias=False)
        self.bn2 = _bn(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


def _stem(widths: tuple[int, int, int]) -> nn.Sequential:
    """Three 3x3 convs (stride 2 on the first), each with BN + ReLU.

    Indices 0/1, 3/4, 6/7 hold the conv/BN pairs, as in semseg's ``layer0`` and
    mmseg's ``backbone.stem``; the max-pool lives outside so the indices match.
    """
    w0, w1, w2 = widths
    return nn.Sequential(
        nn.Conv2d(3, w0, 3, stride=2, padding=1, bias=False), _bn(w0), nn.ReLU(inplace=True),
        nn.Conv2d(w0, w1, 3, padding=1, bias=False), _bn(w1), nn.ReLU(inplace=True),
        nn.Conv2d(w1, w2, 3, padding=1, bias=False), _bn(w2), nn.ReLU(inplace=True),
    )


class DilatedResNet(nn.Module):
    """Stem + four residual stages; layer3/layer4 trade stride for dilation 2/4."""

    def __init__(self, cfg: PSPNetConfig) -> None:
        super().__init__()
        block = Bottleneck if cfg.block == "bottleneck" else BasicBlock
        self._conv2_rule = cfg.basic_conv2_dilation
        self.stem = _stem(cfg.stem_widths)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self._inplanes = cfg.stem_widths[2]
        w = cfg.base_width
        n1, n2, n3, n4 = cfg.layers
        first3, first4 = (1, 2) if cfg.contract_dilation else (2, 4)
        self.layer1 = self._stage(block, w, n1, stride=1, dilation=1, first_dilation=1)
        self.layer2 = self._stage(block, w * 2, n2, stride=2, dilation=1, first_dilation=1)
        self.layer3 = self._stage(block, w * 4, n3, stride=1, dilation=2, first_dilation=first3)
        self.layer4 = self._stage(block, w * 8, n4, stride=1, dilation=4, first_dilation=first4)

    def _stage(self, block: type[nn.Module], planes: int, blocks: int, stride: int,
               dilation: int, first_dilation: int) -> nn.Sequential:
        out_channels = planes * block.expansion  # type: ignore[attr-defined]
        downsample = None
        if stride != 1 or self._inplanes != out_channels:
            downsample = nn.Sequential(
                nn.Conv2d(self._inplanes, out_channels, 1, stride=stride, bias=False),
                _bn(out_channels),
            )
        layers = [block(self._inplanes, planes, stride, first_dilation, downsample,
                        **self._second_conv(block, first_dilation, dilation))]
        self._inplanes = out_channels
        layers += [block(out_channels, planes, 1, dilation, None, **self._second_conv(block, dilation, dilation))
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def _second_conv(self, block: type[nn.Module], block_dilation: int, stage_dilation: int) -> dict[str, int]:
        """A BasicBlock's conv2 dilation under the config's rule (see PSPNetConfig)."""
        if block is not BasicBlock:
            return {}
        rule = self._conv2_rule
        return {"conv2_dilation": 1 if rule == "none" else stage_dilation if rule == "stage" else block_dilation}

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (layer3, layer4) outputs: the auxiliary head's and the PPM's inputs."""
        x = self.maxpool(self.stem(x))
        x = self.layer2(self.layer1(x))
        c3 = self.layer3(x)
        return c3, self.layer4(c3)
