"""The JSON model card: written beside native weights, optional beside any other.

A card overrides what a file cannot say for itself (class names and colours, the
normalisation, the recommended protocols, a display name) and carries the training
recipe and metrics. Core fields are validated; anything else is kept as is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.checkpoints.card_fields import MAX_CARD_BYTES, check_card
from app.checkpoints.errors import CheckpointError
from app.checkpoints.meta import LoadedModel, ModelMeta, Normalization, ProtocolSettings
from app.checkpoints.protocols import semseg_multi_scale
from app.checkpoints.safe_load import read_regular_file
from app.classes import ClassInfo

CARD_VERSION = 1
# Fields the card format defines; everything else in a card lands in ModelMeta.card.
CORE_FIELDS = ("format_version", "name", "architecture", "classes", "normalization", "protocols")
# Bookkeeping added while loading; never written back into a card.
LOAD_ONLY_FIELDS = ("card_path",)


def card_path_for(weights: Path) -> Path:
    """``foo.pth`` -> ``foo.json``, ``foo.safetensors`` -> ``foo.json``."""
    return weights.with_suffix(".json")


def read_card(path: Path) -> dict[str, Any]:
    """The card's JSON object with every field it defines checked (card_fields)."""
    raw = read_regular_file(path, MAX_CARD_BYTES, "a JSON model card")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CheckpointError(path, f"the model card cannot be read ({exc}).") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(path, f"the model card is not valid JSON ({exc}).") from None
    except RecursionError:
        raise CheckpointError(path, "the model card is invalid: it is nested too deeply to read.") from None
    if not isinstance(data, dict):
        raise CheckpointError(path, "the model card must be a JSON object.")
    version = data.get("format_version", CARD_VERSION)
    if isinstance(version, bool) or version != CARD_VERSION:
        raise CheckpointError(path, f"model card format_version {version!r} is not supported "
                              f"(expected {CARD_VERSION}).")
    try:
        check_card(data)
    except ValueError as exc:
        raise CheckpointError(path, f"the model card is invalid: {exc}.") from None
    return data


def build_card(meta: ModelMeta, architecture: dict[str, Any]) -> dict[str, Any]:
    """The card of a native model: meta.card's extras, then the core fields."""
    card: dict[str, Any] = {"format_version": CARD_VERSION}
    card.update({k: v for k, v in meta.card.items()
                 if k not in CORE_FIELDS and k not in LOAD_ONLY_FIELDS})
    card.update({
        "name": meta.name,
        "architecture": architecture,
        "classes": meta.classes.to_dict(),
        "normalization": meta.normalization.to_dict(),
        "protocols": {name: p.to_dict() for name, p in meta.protocols.items()
                      if not _follows_official(meta, name)},
    })
    if meta.format != "native":
        card.setdefault("converted_from", {"format": meta.format, "source": meta.source})
    return card


def _merged_protocol(base: ProtocolSettings | None, name: str, data: Any) -> ProtocolSettings:
    if not isinstance(data, dict):
        raise ValueError(f"protocol {name!r} must be an object")
    start = base.to_dict() if base is not None else {"name": name}
    return ProtocolSettings.from_dict({**start, **data, "name": name})


def _follows_official(meta: ModelMeta, name: str) -> bool:
    """Whether the protocol is semseg's multi-scale test made from the official one (a card
    need not store it: loading makes it again)."""
    official = meta.protocols.get("official")
    return name == "ms" and official is not None and meta.protocols[name] == semseg_multi_scale(official)


def _follow_official(meta: ModelMeta, given: dict[str, Any]) -> None:
    """semseg's multi-scale test is its official one at six scales: a card that sets only
    the official protocol's sizes sets the multi-scale test's too."""
    ms = meta.protocols.get("ms")
    if "official" in given and "ms" not in given and ms is not None and ms.style == "semseg":
        meta.protocols["ms"] = semseg_multi_scale(meta.protocols["official"])


def apply_card(loaded: LoadedModel, card: dict[str, Any], card_path: Path) -> LoadedModel:
    """Override the loaded model's metadata with the card's (validated) fields."""
    meta = loaded.meta
    try:
        if "classes" in card:
            classes = ClassInfo.from_dict(card["classes"])
            if len(classes) != meta.num_classes:
                raise ValueError(f"it lists {len(classes)} classes but the model has "
                                 f"{meta.num_classes} outputs")
            meta.classes = classes
        if "normalization" in card:
            meta.normalization = Normalization.from_dict(card["normalization"])
        if "protocols" in card:
            if not isinstance(card["protocols"], dict):
                raise ValueError("'protocols' must be an object of name -> settings")
            for name, data in card["protocols"].items():
                meta.protocols[name] = _merged_protocol(meta.protocols.get(name), name, data)
            _follow_official(meta, card["protocols"])
        if card.get("name"):
            meta.name = str(card["name"])
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise CheckpointError(card_path, f"the model card is invalid: {detail}.") from None
    meta.card = {**meta.card, **{k: v for k, v in card.items() if k not in CORE_FIELDS},
                 "card_path": str(card_path)}
    return loaded
