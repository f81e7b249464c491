"""Random weights with exactly the published key names and shapes, saved as each
project saves them. The listings in ../shared/reference/keys_*.txt were made by
building each implementation's own model and dumping its state_dict.
"""

from __future__ import annotations

import ast
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import torch

# tests/conftest.py's SHARED, spelled here so this helper imports without pytest.
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
SEMSEG_50 = ("keys_semseg_csail.txt", "hszhao/semseg PSPNet layers=50 classes=150")
SEMSEG_101 = ("keys_semseg_csail.txt", "hszhao/semseg PSPNet layers=101 classes=19")
CSAIL_ENCODER_50 = ("keys_semseg_csail.txt", "CSAIL encoder resnet50dilated")
CSAIL_ENCODER_101 = ("keys_semseg_csail.txt", "CSAIL encoder resnet101dilated")
CSAIL_DECODER_DEEPSUP = ("keys_semseg_csail.txt", "CSAIL decoder ppm_deepsup")
CSAIL_DECODER_PLAIN = ("keys_semseg_csail.txt", "CSAIL decoder ppm (no deepsup)")
MMSEG_BACKBONE_50 = ("keys_mmseg.txt", "mmseg ResNetV1c-50 D8 backbone")
MMSEG_BACKBONE_101 = ("keys_mmseg.txt", "mmseg ResNetV1c-101 D8 backbone")
MMSEG_HEAD = ("keys_mmseg.txt", "mmseg PSPHead (150 classes)")
MMSEG_AUX = ("keys_mmseg.txt", "mmseg FCNHead aux (150 classes)")


@lru_cache(maxsize=None)
def _sections(filename: str) -> dict[str, list[tuple[str, tuple[int, ...]]]]:
    sections: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    current: list[tuple[str, tuple[int, ...]]] | None = None
    for line in (REFERENCE / filename).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif "\t" in line and current is not None:
            key, shape = line.split("\t")
            current.append((key, tuple(ast.literal_eval(shape))))
    return sections


def listing(section: tuple[str, str]) -> list[tuple[str, tuple[int, ...]]]:
    """[(key, shape)] of a section, in the listing's order."""
    filename, title = section
    matches = [v for k, v in _sections(filename).items() if k.startswith(title)]
    assert len(matches) == 1, f"section {title!r} not found once in {filename}"
    return matches[0]


def random_tensor(key: str, shape: tuple[int, ...], gen: torch.Generator) -> torch.Tensor:
    """Values that keep a 50-layer forward finite and informative."""
    if key.endswith(("num_batches_tracked", "_running_iter")):
        return torch.full(shape, 7, dtype=torch.long if key.endswith("tracked") else torch.float32)
    if key.endswith(("running_var", "_tmp_running_var")):
        return torch.rand(shape, generator=gen) + 0.5
    if key.endswith(("running_mean", "_tmp_running_mean")):
        return torch.randn(shape, generator=gen) * 0.1
    if len(shape) == 4:  # conv: He-like scale so activations neither vanish nor explode
        fan_in = shape[1] * shape[2] * shape[3]
        return torch.randn(shape, generator=gen) * (1.0 / fan_in) ** 0.5
    if key.endswith("weight"):  # BN gamma
        return torch.rand(shape, generator=gen) * 0.5 + 0.5
    return torch.randn(shape, generator=gen) * 0.1  # biases


def random_state(*sections: tuple[str, str], seed: int = 0,
                 drop_counters: bool = False) -> "OrderedDict[str, torch.Tensor]":
    gen = torch.Generator().manual_seed(seed)
    state: OrderedDict[str, torch.Tensor] = OrderedDict()
    for section in sections:
        for key, shape in listing(section):
            if drop_counters and key.endswith("num_batches_tracked"):
                continue
            state[key] = random_tensor(key, shape, gen)
    return state


def save_semseg(path: Path, state: dict[str, torch.Tensor]) -> Path:
    """As semseg's train.py saves a DataParallel model: module. prefix, optimizer."""
    prefixed = OrderedDict(("module." + k, v) for k, v in state.items())
    optimizer = {"state": {0: {"momentum_buffer": torch.zeros(2, 2)}},
                 "param_groups": [{"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4,
                                   "nesterov": False, "params": list(range(len(state)))}]}
    torch.save({"epoch": 100, "state_dict": prefixed, "optimizer": optimizer}, path)
    return path


def save_mmseg(path: Path, state: dict[str, torch.Tensor], meta: dict) -> Path:
    torch.save({"meta": meta, "state_dict": OrderedDict(state)}, path)
    return path


def mmseg_meta_0x(names: list[str], palette: list[list[int]], align_corners: bool = False) -> dict:
    config = ("norm_cfg = dict(type='SyncBN', requires_grad=True)\n"
              f"model = dict(type='EncoderDecoder', decode_head=dict(type='PSPHead', "
              f"align_corners={align_corners}))\n")
    return {"env_info": "sys.platform: linux", "config": config, "seed": 0,
            "exp_name": "pspnet_r50-d8_512x512_160k_ade20k.py", "mmseg_version": "0.5.0+8f62b7e",
            "mmcv_version": "0.5.9", "CLASSES": tuple(names), "PALETTE": palette,
            "time": "Wed Jun 17 10:19:58 2020", "iter": 160000, "epoch": 1}


def mmseg_meta_1x(names: list[str], palette: list[list[int]]) -> dict:
    return {"mmengine_version": "0.7.0", "dataset_meta": {"classes": tuple(names),
            "palette": [tuple(c) for c in palette]}, "iter": 160000, "epoch": 0}


def save_csail(folder: Path, encoder: dict, decoder: dict, epoch: int = 20) -> tuple[Path, Path]:
    """Two raw state_dicts, as CSAIL's train.py writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    enc, dec = folder / f"encoder_epoch_{epoch}.pth", folder / f"decoder_epoch_{epoch}.pth"
    torch.save(OrderedDict(encoder), enc)
    torch.save(OrderedDict(decoder), dec)
    return enc, dec
