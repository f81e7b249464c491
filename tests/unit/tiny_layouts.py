"""A small model's weights written under each published layout's key names.

The published ResNet-50 layouts are covered by test_checkpoint_published.py; these
tiny stand-ins keep card, info and error tests fast. The name maps are written from
the published listings (the inverse of app.checkpoints' rules).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import torch

from app.checkpoints import LoadedModel, load_checkpoint
from tests.engine_fixtures import varied_loaded

SEMSEG = [(r"backbone\.stem\.", "layer0."), (r"backbone\.(layer\d)\.", r"\1."),
          (r"ppm\.branches\.(\d+)\.conv\.", r"ppm.features.\1.1."),
          (r"ppm\.branches\.(\d+)\.bn\.", r"ppm.features.\1.2."),
          (r"head\.conv\.", "cls.0."), (r"head\.bn\.", "cls.1."), (r"head\.classifier\.", "cls.4."),
          (r"aux\.conv\.", "aux.0."), (r"aux\.bn\.", "aux.1."), (r"aux\.classifier\.", "aux.4.")]
MMSEG = [(r"(backbone\.)", r"\1"),
         (r"ppm\.branches\.(\d+)\.conv\.", r"decode_head.psp_modules.\1.1.conv."),
         (r"ppm\.branches\.(\d+)\.bn\.", r"decode_head.psp_modules.\1.1.bn."),
         (r"head\.conv\.", "decode_head.bottleneck.conv."), (r"head\.bn\.", "decode_head.bottleneck.bn."),
         (r"head\.classifier\.", "decode_head.conv_seg."), (r"aux\.conv\.", "auxiliary_head.convs.0.conv."),
         (r"aux\.bn\.", "auxiliary_head.convs.0.bn."), (r"aux\.classifier\.", "auxiliary_head.conv_seg.")]
CSAIL_ENCODER = [(r"backbone\.stem\.0\.", "conv1."), (r"backbone\.stem\.1\.", "bn1."),
                 (r"backbone\.stem\.3\.", "conv2."), (r"backbone\.stem\.4\.", "bn2."),
                 (r"backbone\.stem\.6\.", "conv3."), (r"backbone\.stem\.7\.", "bn3."),
                 (r"backbone\.(layer\d)\.", r"\1.")]
CSAIL_DECODER = [(r"ppm\.branches\.(\d+)\.conv\.", r"ppm.\1.1."), (r"ppm\.branches\.(\d+)\.bn\.", r"ppm.\1.2."),
                 (r"head\.conv\.", "conv_last.0."), (r"head\.bn\.", "conv_last.1."),
                 (r"head\.classifier\.", "conv_last.4."), (r"aux\.conv\.", "cbr_deepsup.0."),
                 (r"aux\.bn\.", "cbr_deepsup.1."), (r"aux\.classifier\.", "conv_last_deepsup.")]


def renamed(model: torch.nn.Module, rules, prefix: str = "") -> "OrderedDict[str, torch.Tensor]":
    """The model's tensors whose names a rule matches, renamed by the first match."""
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, value in model.state_dict().items():
        for pattern, repl in rules:
            new, n = re.subn("^" + pattern, repl, key)
            if n:
                out[prefix + new] = value.clone()
                break
    return out


def write_semseg(path: Path, model) -> Path:
    torch.save({"epoch": 7, "state_dict": renamed(model, SEMSEG, "module."), "optimizer": {}}, path)
    return path


def write_mmseg(path: Path, model, meta: dict | None = None) -> Path:
    torch.save({"meta": meta or {}, "state_dict": renamed(model, MMSEG)}, path)
    return path


def write_csail(folder: Path, model, epoch: int = 20) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(renamed(model, CSAIL_ENCODER), folder / f"encoder_epoch_{epoch}.pth")
    torch.save(renamed(model, CSAIL_DECODER), folder / f"decoder_epoch_{epoch}.pth")
    return folder


def tiny_published(fmt: str, folder, num_classes: int = 5) -> LoadedModel:
    """The varied tiny PSPNet written in a published layout and loaded back as that format,
    so it carries the format's own protocols (and architecture details)."""
    model = varied_loaded(num_classes=num_classes).model
    if fmt == "semseg":
        path = write_semseg(folder / "train_epoch_50.pth", model)
    elif fmt == "mmseg":
        path = write_mmseg(folder / "pspnet_tiny.pth", model)
    else:
        path = write_csail(folder / "csail", model)
    loaded = load_checkpoint(path)
    assert loaded.meta.format == fmt
    return loaded
