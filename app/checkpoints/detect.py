"""Which format a path holds, and the one entry point that loads any of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch

from app.checkpoints import csail, mmseg, native, semseg
from app.checkpoints.card import apply_card, card_path_for, read_card
from app.checkpoints.errors import CheckpointError, summarize_keys
from app.checkpoints.meta import LoadedModel
from app.checkpoints.safe_load import read_torch_file

EXPECTED = ("a PSPNet checkpoint: hszhao/semseg or mmsegmentation .pth, a CSAIL "
            "encoder/decoder pair, or PSPNet Studio .safetensors + .json")


def load_checkpoint(path: str | Path) -> LoadedModel:
    """The model (CPU, eval mode) and metadata of any supported checkpoint.

    A JSON card beside the weights (``foo.json`` for ``foo.pth``; ``card.json`` in a
    CSAIL folder) overrides classes, normalisation, protocols and name.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise CheckpointError(path, f"the path does not exist (expected {EXPECTED}).")
    if path.is_dir() or csail.is_pair_file(path):
        loaded = csail.load(path)
        return _with_card(loaded, _csail_card(path))
    if path.suffix == ".json" and not path.with_suffix(native.SUFFIX).is_file():
        raise CheckpointError(path, "this is a model card, not weights; open the weights file "
                              "it describes (the card is read from beside it).")
    if path.suffix in (native.SUFFIX, ".json"):
        return native.load(path)
    raw = read_torch_file(path)
    if mmseg.looks_like(raw):
        loaded = mmseg.load(path, raw)
    elif semseg.looks_like(raw):
        loaded = semseg.load(path, raw)
    else:
        raise CheckpointError(path, _diagnose(raw))
    return _with_card(loaded, card_path_for(path))


def _with_card(loaded: LoadedModel, card_path: Path | None) -> LoadedModel:
    if card_path is None or not card_path.is_file():
        return loaded
    return apply_card(loaded, read_card(card_path), card_path)


def _csail_card(path: Path) -> Path | None:
    folder = path if path.is_dir() else path.parent
    encoder, decoder = csail.resolve_pair(path)
    for candidate in (folder / "card.json", card_path_for(encoder), card_path_for(decoder)):
        if candidate.is_file():
            return candidate
    return None


def _diagnose(raw: Any) -> str:
    """Why a readable file is not a checkpoint we know, in the user's terms."""
    if isinstance(raw, torch.Tensor):
        return f"the file holds a single tensor, not a model's weights (expected {EXPECTED})."
    if not isinstance(raw, Mapping):
        return f"the file holds a {type(raw).__name__}, not a dict of weights (expected {EXPECTED})."
    state = raw.get("state_dict", raw.get("model", raw))
    if not isinstance(state, Mapping):
        state = {}
    not_names = [repr(k) for k in state if not isinstance(k, str)]
    if not_names and not any(isinstance(k, str) for k in state):
        return (f"the file is a dict whose keys are not parameter names (keys: {summarize_keys(not_names, 5)}); "
                f"expected {EXPECTED}.")
    tensors = [k for k, v in state.items() if isinstance(k, str) and isinstance(v, torch.Tensor)]
    if not tensors:
        return (f"the file is a dict without weights (keys: {summarize_keys([str(k) for k in raw], 8)}); "
                f"expected {EXPECTED}.")
    if "fc.weight" in tensors or any(k.startswith(("classifier.", "head.fc.")) for k in tensors):
        return ("these are an image classifier's weights (they end in a fully connected 'fc' "
                "layer, like torchvision's ResNet), not a segmentation model; expected "
                f"{EXPECTED}. A classifier backbone alone cannot label pixels.")
    if "conv1.weight" in tensors and "conv3.weight" in tensors:
        return ("this looks like a CSAIL encoder; keep it named encoder_epoch_N.pth beside its "
                "decoder_epoch_N.pth and open either file or their folder.")
    if any(k.startswith("conv_last.") for k in tensors):
        return ("this looks like a CSAIL decoder; keep it named decoder_epoch_N.pth beside its "
                "encoder_epoch_N.pth and open either file or their folder.")
    return (f"unknown layout (first keys: {summarize_keys(tensors, 5)}); expected {EXPECTED}.")
