"""CSAIL semantic-segmentation-pytorch: ``encoder_epoch_N.pth`` + ``decoder_epoch_N.pth``.

Two raw state_dicts side by side; the user may give either file or their folder
(the highest epoch with both halves wins). The encoder's deep stem is
``conv1/bn1/conv2/bn2/conv3/bn3``; the decoder is ``ppm.i``, ``conv_last`` and, for
``ppm_deepsup``, ``cbr_deepsup`` (1024->512) + ``conv_last_deepsup``. SyncBN's extra
buffers are dropped. The first block of layer3/layer4 is contracted (dilation 1/2)
and upsampling uses align_corners=False.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app.checkpoints.errors import CheckpointError
from app.checkpoints.layout import Renamed, RenameRule, build_strict, infer_config, rename, tensor_dict
from app.checkpoints.meta import LoadedModel, ModelMeta
from app.checkpoints.protocols import csail_protocols
from app.checkpoints.safe_load import read_torch_file
from app.classes import classes_for_count

PAIR_NAME = re.compile(r"^(encoder|decoder)_epoch_(\d+)\.pth$")
SYNC_BN_EXTRAS = ("._tmp_running_mean", "._tmp_running_var", "._running_iter")

ENCODER_RULES = [
    RenameRule(r"conv1\.", "backbone.stem.0."),
    RenameRule(r"bn1\.", "backbone.stem.1."),
    RenameRule(r"conv2\.", "backbone.stem.3."),
    RenameRule(r"bn2\.", "backbone.stem.4."),
    RenameRule(r"conv3\.", "backbone.stem.6."),
    RenameRule(r"bn3\.", "backbone.stem.7."),
    RenameRule(r"layer([1-4])\.", r"backbone.layer\1."),
]
DECODER_RULES = [
    RenameRule(r"ppm\.(\d+)\.1\.", r"ppm.branches.\1.conv."),
    RenameRule(r"ppm\.(\d+)\.2\.", r"ppm.branches.\1.bn."),
    RenameRule(r"conv_last\.0\.", "head.conv."),
    RenameRule(r"conv_last\.1\.", "head.bn."),
    RenameRule(r"conv_last\.4\.", "head.classifier."),
    RenameRule(r"cbr_deepsup\.0\.", "aux.conv."),
    RenameRule(r"cbr_deepsup\.1\.", "aux.bn."),
    RenameRule(r"conv_last_deepsup\.", "aux.classifier."),
]
EXPECTED = "a CSAIL pair encoder_epoch_N.pth + decoder_epoch_N.pth"


def is_pair_file(path: Path) -> bool:
    return PAIR_NAME.match(path.name) is not None


def resolve_pair(path: Path) -> tuple[Path, Path]:
    """(encoder, decoder) files for a folder or for either file of a pair."""
    if path.is_dir():
        found: dict[int, dict[str, Path]] = {}
        try:
            children = list(path.iterdir())
        except OSError as exc:  # permission denied, a folder on a mount that went away
            raise CheckpointError(path, f"the folder cannot be listed ({exc.strerror or exc}).") from None
        for child in children:
            match = PAIR_NAME.match(child.name)
            if match and child.is_file():
                found.setdefault(int(match.group(2)), {})[match.group(1)] = child
        complete = [epoch for epoch, halves in found.items() if len(halves) == 2]
        if complete:
            halves = found[max(complete)]
            return halves["encoder"], halves["decoder"]
        if found:
            lonely = ", ".join(sorted(p.name for h in found.values() for p in h.values()))
            raise CheckpointError(path, f"the folder has only half of a CSAIL pair ({lonely}); "
                                  f"expected {EXPECTED} with the same N.")
        raise CheckpointError(path, f"this folder holds no weights; expected {EXPECTED} "
                              "(or give a weights file).")
    match = PAIR_NAME.match(path.name)
    if match is None:
        raise CheckpointError(path, f"expected {EXPECTED}.")
    other = "decoder" if match.group(1) == "encoder" else "encoder"
    partner = path.with_name(f"{other}_epoch_{match.group(2)}.pth")
    if not partner.is_file():
        raise CheckpointError(path, f"the matching {partner.name} is missing from {path.parent}; "
                              f"expected {EXPECTED} side by side.")
    return (path, partner) if match.group(1) == "encoder" else (partner, path)


def _without_sync_bn(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.endswith(SYNC_BN_EXTRAS)}


def _renamed_half(file: Path, rules: list[RenameRule], what: str) -> Renamed:
    raw = read_torch_file(file)
    if isinstance(raw, dict) and isinstance(raw.get("state_dict"), dict):
        raw = raw["state_dict"]
    renamed = rename(_without_sync_bn(tensor_dict(file, raw, f"a CSAIL {what} state_dict")), rules)
    renamed.original = {k: f"{file.name}:{v}" for k, v in renamed.original.items()}
    renamed.unmatched = [f"{file.name}:{k}" for k in renamed.unmatched]
    return renamed


def load(path: Path) -> LoadedModel:
    encoder, decoder = resolve_pair(path)
    enc = _renamed_half(encoder, ENCODER_RULES, "encoder")
    dec = _renamed_half(decoder, DECODER_RULES, "decoder")
    if not any(k.startswith("backbone.") for k in enc.tensors):
        raise CheckpointError(encoder, "this is not a CSAIL encoder (no conv1/layer1..4 keys).")
    if not any(k.startswith("head.") for k in dec.tensors):
        raise CheckpointError(decoder, "this is not a CSAIL PPM decoder (no conv_last.* keys).")
    merged = Renamed({**enc.tensors, **dec.tensors}, {**enc.original, **dec.original},
                     enc.unmatched + dec.unmatched)
    # _nostride_dilate halves only the strided conv: a BasicBlock's conv2 runs at the full rate
    cfg = infer_config(merged.tensors, encoder, contract_dilation=True, align_corners=False,
                       basic_conv2_dilation="stage")
    model = build_strict(cfg, merged, encoder)
    meta = ModelMeta(format="csail", architecture=cfg, classes=classes_for_count(cfg.num_classes),
                     protocols=csail_protocols(cfg.num_classes), source=str(encoder.parent),
                     name=f"CSAIL {encoder.parent.name}" if encoder.parent.name else "",
                     card={"files": [encoder.name, decoder.name]})
    return LoadedModel(model, meta)
