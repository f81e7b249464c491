"""What every published format shares: renaming keys, reading the architecture off
the tensor shapes, and a strict load that never fills a model halfway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import torch

from app.checkpoints.errors import CheckpointError, summarize_keys
from app.model import BACKBONES, PSPNet, PSPNetConfig

# The bin sizes of every published PSPNet; files store only their count.
PUBLISHED_BINS = (1, 2, 3, 6)
# BN buffers that some writers omit (mmseg's published backbone listing has none).
OPTIONAL_SUFFIXES = (".num_batches_tracked",)


@dataclass(frozen=True)
class RenameRule:
    """``pattern`` (a regex anchored at the key's start) becomes ``replacement``."""

    pattern: str
    replacement: str

    def apply(self, key: str) -> str | None:
        new, count = re.subn("^" + self.pattern, self.replacement, key, count=1)
        return new if count else None


@dataclass
class Renamed:
    """Tensors under internal names, with the file's own name of each for messages."""

    tensors: dict[str, torch.Tensor]
    original: dict[str, str]  # internal name -> name in the file
    unmatched: list[str]  # keys of the file that no rule claims


def rename(state: Mapping[str, Any], rules: Iterable[RenameRule]) -> Renamed:
    rules = list(rules)
    tensors: dict[str, torch.Tensor] = {}
    original: dict[str, str] = {}
    unmatched: list[str] = []
    for key, value in state.items():
        new = next((n for n in (r.apply(key) for r in rules) if n is not None), None)
        if new is None or not isinstance(value, torch.Tensor):
            unmatched.append(key)
            continue
        tensors[new] = value
        original[new] = key
    return Renamed(tensors, original, unmatched)


def tensor_dict(path: Path, value: Any, what: str) -> dict[str, torch.Tensor]:
    """``value`` as a flat name -> tensor mapping, or a clear error."""
    if not isinstance(value, Mapping) or not value:
        raise CheckpointError(path, f"expected {what} (a mapping of names to tensors), "
                              f"found {type(value).__name__}.")
    bad = [str(k) for k, v in value.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(path, f"expected {what} holding only tensors; these entries are "
                              f"not tensors: {summarize_keys(bad)}.")
    return dict(value)


def _shape(tensors: Mapping[str, torch.Tensor], key: str, path: Path) -> tuple[int, ...]:
    if key not in tensors:
        raise CheckpointError(path, f"the weights have no tensor for '{key}', which every PSPNet "
                              "of this layout has; the file does not hold a complete PSPNet.")
    return tuple(tensors[key].shape)


def _block_count(tensors: Mapping[str, torch.Tensor], stage: int) -> int:
    found = re.compile(rf"^backbone\.layer{stage}\.(\d+)\.")
    indices = {int(m.group(1)) for k in tensors if (m := found.match(k))}
    return max(indices) + 1 if indices else 0


def infer_config(tensors: Mapping[str, torch.Tensor], path: Path, *, contract_dilation: bool,
                 align_corners: bool, **fixed: Any) -> PSPNetConfig:
    """The PSPNetConfig whose state_dict has these shapes (internal key names)."""
    counts = tuple(_block_count(tensors, s) for s in (1, 2, 3, 4))
    block = "bottleneck" if "backbone.layer1.0.conv3.weight" in tensors else "basic"
    backbone = next((name for name, (b, n) in BACKBONES.items() if b == block and n == counts), None)
    if backbone is None:
        raise CheckpointError(path, f"unknown backbone: residual stages with {counts} {block} "
                              "blocks; expected ResNet-50 (3, 4, 6, 3) or ResNet-101 (3, 4, 23, 3).")
    branches = sorted({int(m.group(1)) for k in tensors
                       if (m := re.match(r"^ppm\.branches\.(\d+)\.", k))})
    if len(branches) != len(PUBLISHED_BINS):
        raise CheckpointError(path, f"expected {len(PUBLISHED_BINS)} pyramid pooling branches "
                              f"(bins {PUBLISHED_BINS}), found {len(branches)}.")
    stem = tuple(_shape(tensors, f"backbone.stem.{i}.weight", path)[0] for i in (0, 3, 6))
    classifier = _shape(tensors, "head.classifier.weight", path)
    settings: dict[str, Any] = dict(
        num_classes=classifier[0], backbone=backbone, stem_widths=stem,
        base_width=_shape(tensors, "backbone.layer1.0.conv1.weight", path)[0],
        contract_dilation=contract_dilation, align_corners=align_corners, bins=PUBLISHED_BINS,
        ppm_channels=_shape(tensors, "ppm.branches.0.conv.weight", path)[0],
        head_channels=_shape(tensors, "head.conv.weight", path)[0],
        aux=any(k.startswith("aux.") for k in tensors))
    if settings["aux"]:
        settings["aux_channels"] = _shape(tensors, "aux.conv.weight", path)[0]
    settings.update(fixed)
    return PSPNetConfig(**settings)


def build_strict(cfg: PSPNetConfig, renamed: Renamed, path: Path) -> PSPNet:
    """A model with every parameter and buffer filled from the file, or an error.

    Every tensor must land in a parameter or buffer of the same shape and every
    parameter must be filled; only ``num_batches_tracked`` may be absent (it does
    not affect inference). The error lists the file's own key names.
    """
    with torch.device("meta"):  # shapes only: no time spent initialising weights we replace
        model = PSPNet(cfg)
    expected = model.state_dict()
    # Near misses (mapped to a name the model lacks) first: they say the most.
    unexpected = [renamed.original[k] for k in renamed.tensors if k not in expected]
    unexpected += renamed.unmatched
    mismatched = [f"{renamed.original[k]} {tuple(v.shape)} (expected {tuple(expected[k].shape)})"
                  for k, v in renamed.tensors.items()
                  if k in expected and tuple(v.shape) != tuple(expected[k].shape)]
    missing = [k for k in expected if k not in renamed.tensors and not k.endswith(OPTIONAL_SUFFIXES)]
    if unexpected or mismatched or missing:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (model names): {summarize_keys(missing)}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected: {summarize_keys(unexpected)}")
        if mismatched:
            parts.append(f"{len(mismatched)} with the wrong shape: {summarize_keys(mismatched)}")
        raise CheckpointError(path, f"the weights do not fit a {cfg.description} ("
                              + "; ".join(parts) + "). Nothing was loaded.")
    state = {k: v.detach().to(dtype=expected[k].dtype).contiguous()
             for k, v in renamed.tensors.items()}
    for key, value in expected.items():
        if key not in state:  # only the optional counters reach this
            state[key] = torch.zeros(value.shape, dtype=value.dtype)
    model.load_state_dict(state, strict=True, assign=True)
    return model.eval()
