"""Inputs and models for engine tests in every folder: block photos and a tiny varied PSPNet."""

from __future__ import annotations

import numpy as np
import torch

from app.checkpoints.meta import LoadedModel, ModelMeta
from app.classes import generic_classes
from app.model import PSPNetConfig, build_pspnet


def block_image(height: int, width: int, seed: int) -> np.ndarray:
    """A photo stand-in: 8x8 blocks of random colours (edges the network reacts to)."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3))
    return np.kron(cells, np.ones((8, 8, 1))).astype(np.uint8)[:height, :width]


def varied_loaded(align_corners: bool = True, num_classes: int = 5) -> LoadedModel:
    """A tiny random PSPNet whose predictions vary over the image (not one class everywhere).

    BN statistics are calibrated on block images and the classifier re-centred, so
    several classes win somewhere; everything is seeded.
    """
    cfg = PSPNetConfig(num_classes=num_classes, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                       ppm_channels=8, head_channels=16, align_corners=align_corners)
    torch.manual_seed(0)
    model = build_pspnet(cfg)
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.momentum = None
            mod.reset_running_stats()
    batch = np.stack([block_image(64, 64, i) for i in range(8)])
    x = (torch.from_numpy(batch).permute(0, 3, 1, 2).float() - 120) / 60
    with torch.no_grad():
        model.train()
        model(x)
        model.eval()
        model.head.classifier.weight.mul_(8)
        model.head.classifier.bias.zero_()
        model.head.classifier.bias.sub_(model(x, upsample=False).mean((0, 2, 3)))
    return LoadedModel(model, ModelMeta("native", cfg, generic_classes(num_classes)))
