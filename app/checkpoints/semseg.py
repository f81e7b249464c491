"""hszhao/semseg (the official PSPNet code): ``train_epoch_N.pth``.

The file is ``{'epoch', 'state_dict', 'optimizer'}`` saved from a DataParallel
model, so every key starts with ``module.``; a bare state_dict is accepted too.
The optimizer's state is ignored. Every block of layer3/layer4 is dilated (2/4) and
all upsampling uses align_corners=True.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from app.checkpoints.errors import CheckpointError
from app.checkpoints.layout import RenameRule, build_strict, infer_config, rename, tensor_dict
from app.checkpoints.meta import LoadedModel, ModelMeta
from app.checkpoints.protocols import semseg_protocols
from app.classes import classes_for_count

RULES = [
    RenameRule(r"layer0\.", "backbone.stem."),
    RenameRule(r"layer([1-4])\.", r"backbone.layer\1."),
    RenameRule(r"ppm\.features\.(\d+)\.1\.", r"ppm.branches.\1.conv."),
    RenameRule(r"ppm\.features\.(\d+)\.2\.", r"ppm.branches.\1.bn."),
    RenameRule(r"cls\.0\.", "head.conv."),
    RenameRule(r"cls\.1\.", "head.bn."),
    RenameRule(r"cls\.4\.", "head.classifier."),
    RenameRule(r"aux\.0\.", "aux.conv."),
    RenameRule(r"aux\.1\.", "aux.bn."),
    RenameRule(r"aux\.4\.", "aux.classifier."),
]


def _strip_module(state: Mapping[str, Any]) -> dict[str, Any]:
    """DataParallel's ``module.`` prefix off every key (left as is where absent)."""
    return {k.removeprefix("module."): v for k, v in state.items()}


def looks_like(raw: Any) -> bool:
    """A semseg wrapper, or a state_dict with ``layer0.*`` stem keys (maybe ``module.``)."""
    if not isinstance(raw, Mapping):
        return False
    state = raw.get("state_dict", raw)
    if not isinstance(state, Mapping):
        return False
    return any(isinstance(k, str) and k.removeprefix("module.").startswith("layer0.") for k in state)


def load(path: Path, raw: Any) -> LoadedModel:
    state = raw.get("state_dict", raw) if isinstance(raw, Mapping) else raw
    tensors = _strip_module(tensor_dict(path, state, "the semseg 'state_dict'"))
    renamed = rename(tensors, RULES)
    if not any(k.startswith("head.") for k in renamed.tensors):
        raise CheckpointError(path, "the file has a semseg backbone but no PSPNet head (cls.*): "
                              "expected a complete PSPNet checkpoint.")
    cfg = infer_config(renamed.tensors, path, contract_dilation=False, align_corners=True)
    model = build_strict(cfg, renamed, path)
    card: dict[str, Any] = {}
    if isinstance(raw, Mapping) and isinstance(raw.get("epoch"), int):
        card["training"] = {"epoch": raw["epoch"]}
    meta = ModelMeta(format="semseg", architecture=cfg, classes=classes_for_count(cfg.num_classes),
                     protocols=semseg_protocols(cfg.num_classes), source=str(path), card=card)
    return LoadedModel(model, meta)
