"""The project's own format: safetensors weights (internal key names) + a JSON card.

safetensors holds nothing but tensors, so loading runs no code at all; the card
beside it (``<stem>.json``) records the architecture exactly, the classes, the
normalisation, the protocols, the training recipe and the metrics.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
from safetensors.torch import load_file, save_file

from app.checkpoints.card import apply_card, build_card, card_path_for, read_card
from app.checkpoints.errors import CheckpointError
from app.checkpoints.layout import Renamed, build_strict
from app.checkpoints.meta import LoadedModel, ModelMeta
from app.checkpoints.protocols import semseg_protocols
from app.checkpoints.safe_load import check_is_file
from app.classes import classes_for_count
from app.fileio import discard, publish, temp_path_beside
from app.model import PSPNet, PSPNetConfig

SUFFIX = ".safetensors"


def weights_path_for(path: str | Path) -> Path:
    """Where ``save_native(path, ...)`` puts the weights: ``<stem>.safetensors``."""
    path = Path(path)
    if path.suffix in (SUFFIX, ".json", ".pth", ".pt", ""):
        return path.with_suffix(SUFFIX)
    return path.with_name(path.name + SUFFIX)


def _write_temporary(target: Path, write: Callable[[Path], object]) -> Path:
    """Write to a temp file in the target's folder (``publish`` moves it into place later)."""
    tmp = temp_path_beside(target)
    try:
        write(tmp)
        return tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _json_number(value: Any) -> Any:
    """NumPy numbers (e.g. palette entries) as plain ones; anything else stays an error."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} into a model card")


def save_native(path: str | Path, model: PSPNet, meta: ModelMeta, overwrite: bool = True) -> Path:
    """Write ``<stem>.safetensors`` + ``<stem>.json``; returns the weights path.

    Both files are written to temporaries first and only then moved into place, so
    an interrupted save never leaves a half-written file under the user's name.
    Without ``overwrite`` FileExistsError leaves both names as they were, also when one
    appears while the weights are written (app.fileio.publish).
    """
    weights = weights_path_for(path)
    card_target = card_path_for(weights)
    if not overwrite:
        for existing in (weights, card_target):
            if os.path.lexists(existing):
                raise FileExistsError(f"{existing} exists; not overwriting it")
    weights.parent.mkdir(parents=True, exist_ok=True)
    card = build_card(meta, model.cfg.to_dict())
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    card_text = json.dumps(card, indent=2, ensure_ascii=False, default=_json_number) + "\n"
    tmp_weights = _write_temporary(weights, lambda p: save_file(
        tensors, str(p), metadata={"format": "pspnet-studio", "format_version": "1"}))
    try:
        tmp_card = _write_temporary(card_path_for(weights),
                                 lambda p: p.write_text(card_text, encoding="utf-8"))
    except BaseException:
        tmp_weights.unlink(missing_ok=True)
        raise
    try:
        publish(tmp_weights, weights, overwrite)
    except BaseException:
        discard(tmp_weights)
        discard(tmp_card)
        raise
    try:
        publish(tmp_card, card_target, overwrite)
    except BaseException:
        discard(tmp_card)
        if not overwrite:
            weights.unlink()  # this call's own new file: no weights without their card
        raise
    return weights


def load(path: Path) -> LoadedModel:
    if path.suffix == ".json":
        path = path.with_suffix(SUFFIX)
    check_is_file(path, "safetensors weights with a JSON card beside them")
    card_path = card_path_for(path)
    if not card_path.exists():  # anything else there (a folder, a FIFO) read_card refuses
        raise CheckpointError(path, f"its model card {card_path.name} is missing; the card "
                              "records the architecture, so the weights cannot be used without it.")
    card = read_card(card_path)
    try:
        cfg = PSPNetConfig.from_dict(card["architecture"])
    except KeyError:
        raise CheckpointError(card_path, "the model card has no 'architecture'.") from None
    except (TypeError, ValueError) as exc:
        raise CheckpointError(card_path, f"the card's architecture is invalid ({exc}).") from None
    try:
        tensors: dict[str, Any] = load_file(str(path), device="cpu")
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        raise CheckpointError(path, "the file is not valid safetensors weights (truncated or "
                              f"corrupt: {exc}).") from None
    model = build_strict(cfg, Renamed(tensors, {k: k for k in tensors}, []), path)
    meta = ModelMeta(format="native", architecture=cfg, classes=classes_for_count(cfg.num_classes),
                     protocols=semseg_protocols(cfg.num_classes), source=str(path))
    return apply_card(LoadedModel(model, meta), card, card_path)
