"""The pyramid pooling module and what it can show about itself."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class PPMCapture:
    """The PPM's activations for one forward pass (batch dimension kept).

    ``pooled[i]`` is branch i's output on its bin x bin grid (after conv, BN and
    ReLU); ``upsampled[i]`` is that grid resized to the feature map, exactly as it
    enters the head. The head's input is ``cat([features, *upsampled], dim=1)``.
    """

    bins: tuple[int, ...]
    features: torch.Tensor
    pooled: list[torch.Tensor]
    upsampled: list[torch.Tensor]

    def to(self, device: torch.device | str = "cpu", dtype: torch.dtype | None = None) -> "PPMCapture":
        def move(t: torch.Tensor) -> torch.Tensor:
            return t.detach().to(device=device, dtype=dtype or t.dtype)
        return PPMCapture(self.bins, move(self.features), [move(t) for t in self.pooled],
                          [move(t) for t in self.upsampled])

    def select(self, index: int) -> "PPMCapture":
        """The capture of one image of the batch, batch dimension kept (size 1)."""
        sl = slice(index, index + 1)
        return PPMCapture(self.bins, self.features[sl], [t[sl] for t in self.pooled],
                          [t[sl] for t in self.upsampled])


class PPMBranch(nn.Module):
    def __init__(self, bin_size: int, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.bin_size = bin_size
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.adaptive_avg_pool2d(x, self.bin_size)
        return F.relu(self.bn(self.conv(pooled)))


class PyramidPooling(nn.Module):
    """Branches for each bin size: avg-pool -> 1x1 conv -> BN -> ReLU -> upsample."""

    def __init__(self, in_channels: int, out_channels: int, bins: tuple[int, ...],
                 align_corners: bool) -> None:
        super().__init__()
        self.bins = tuple(bins)
        self.align_corners = align_corners
        self.branches = nn.ModuleList(PPMBranch(b, in_channels, out_channels) for b in bins)

    @property
    def out_channels(self) -> int:
        first: nn.Conv2d = self.branches[0].conv  # type: ignore[assignment]
        return first.in_channels + first.out_channels * len(self.branches)

    def upsample(self, grid: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        return F.interpolate(grid, size=size, mode="bilinear", align_corners=self.align_corners)

    def forward(self, x: torch.Tensor, capture: bool = False
                ) -> tuple[torch.Tensor, PPMCapture | None]:
        """Return the concatenation [x, bin1, bin2, ...] and, if asked, the capture."""
        size = (x.shape[2], x.shape[3])
        pooled = [branch(x) for branch in self.branches]
        upsampled = [self.upsample(p, size) for p in pooled]
        out = torch.cat([x, *upsampled], dim=1)
        if not capture:
            return out, None
        return out, PPMCapture(self.bins, x, pooled, upsampled)
