"""Small helpers shared by test files in different folders."""

from __future__ import annotations

from pathlib import Path

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


def save_tiny_weights(folder: Path) -> Path:
    """A small, varied random PSPNet saved in the project's format, with small protocols."""
    from app.checkpoints import save_native
    from app.checkpoints.meta import ProtocolSettings
    from tests.unit.test_engine_official import varied_loaded

    loaded = varied_loaded()
    loaded.meta.protocols = {"fast": ProtocolSettings("fast", base_size=64),
                             "official": ProtocolSettings("official", base_size=64, crop_size=33, flip=True)}
    loaded.meta.name = "tiny test model"
    return save_native(folder / "tiny.safetensors", loaded.model, loaded.meta)
