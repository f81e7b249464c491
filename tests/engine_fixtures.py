"""Inputs and models for engine tests in every folder: block photos, a tiny varied PSPNet,
PPM captures, a constant model and a small evaluation set."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from app.checkpoints import save_native
from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
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


def ppm_capture(model, input_size=(64, 80), seed=1):
    """The PPM's capture on lively features (a random-weight backbone's are nearly constant)."""
    g = torch.Generator().manual_seed(seed)
    ac = model.cfg.align_corners
    size = tuple((s - 1) // 8 + 1 if ac else s // 8 for s in input_size)
    coarse = torch.randn(1, model.cfg.feature_channels, 3, 4, generator=g)
    features = F.relu(F.interpolate(coarse, size=size, mode="bilinear", align_corners=False)
                      + 0.5 * torch.randn(1, model.cfg.feature_channels, *size, generator=g))
    with torch.inference_mode():
        _, cap = model.ppm(features, capture=True)
    return cap.to("cpu", torch.float16)


def perturb_bn(model, seed=3):
    """Random BN statistics, so the head's affine and ReLU gates are not trivial."""
    g = torch.Generator().manual_seed(seed)
    for bn in (model.head.bn, *(b.bn for b in model.ppm.branches)):
        n = bn.num_features
        bn.running_mean.copy_(torch.randn(n, generator=g) * 0.3)
        bn.running_var.copy_(torch.rand(n, generator=g) + 0.5)
        bn.weight.data.copy_(torch.randn(n, generator=g))
        bn.bias.data.copy_(torch.randn(n, generator=g) * 0.5)
    return model


@pytest.fixture(scope="module")
def constant_weights(tmp_path_factory):
    """A model that predicts class 2 everywhere (zero classifier weights, one-hot bias)."""
    loaded = varied_loaded()
    with torch.no_grad():
        loaded.model.head.classifier.weight.zero_()
        loaded.model.head.classifier.bias.copy_(torch.tensor([0.0, 0.0, 5.0, 0.0, 0.0]))
    loaded.meta.protocols = {"fast": ProtocolSettings("fast", base_size=32),
                             "official": ProtocolSettings("official", base_size=32, crop_size=33, flip=True)}
    return save_native(tmp_path_factory.mktemp("w") / "const.safetensors", loaded.model, loaded.meta)


def evaluation_set(root, raw: bool, count: int = 3):
    """Top half class 2, bottom-left class 1, bottom-right ignored; ``raw``: ADE-style 0 = ignore, k+1."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    label = np.full((20, 30), 255, np.uint8)
    label[:10] = 2
    label[10:, :15] = 1
    if raw:
        label = np.where(label == 255, 0, label + 1).astype(np.uint8)
    for i in range(count):
        Image.fromarray(block_image(20, 30, i)).save(root / "images" / f"im{i}.jpg")
        Image.fromarray(label).save(root / "labels" / f"im{i}.png")


def save_block_photo(path, h=40, w=56, seed=0):
    """A block photo saved as ``path`` (JPEG or PNG by its suffix), folders made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(block_image(h, w, seed)).save(path, quality=95)
    return path


def folder_snapshot(folder):
    """{relative path: (mtime in ns, bytes)} of every file under ``folder``: equal means untouched."""
    return {p.relative_to(folder): (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}
