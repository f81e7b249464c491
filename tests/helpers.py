"""Small helpers shared by test files in different folders."""

from __future__ import annotations

import torch


def lively(model: torch.nn.Module, seed: int = 3) -> torch.nn.Module:
    """Random BN statistics in every layer: a random-weight net then gives varied labels."""
    g = torch.Generator().manual_seed(seed)
    for bn in model.modules():
        if isinstance(bn, torch.nn.BatchNorm2d):
            n = bn.num_features
            bn.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            bn.running_var.copy_(torch.rand(n, generator=g) * 0.1 + 0.05)
            bn.weight.data.copy_(torch.randn(n, generator=g))
            bn.bias.data.copy_(torch.randn(n, generator=g) * 0.5)
    return model
