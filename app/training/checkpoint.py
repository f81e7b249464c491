"""Resumable training checkpoints (a plain dict of tensors and numbers, so that
``torch.load(weights_only=True)`` reads it, through the project's one checkpoint reader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from app.checkpoints.errors import CheckpointError
from app.checkpoints.safe_load import read_torch_file
from app.fileio import atomic_path


class ResumeError(ValueError):
    """A checkpoint that cannot be resumed, with a message naming the file."""


def save_training_state(path: Path, state: dict[str, Any]) -> None:
    """Atomic write: a temp file in the same folder, then a rename (app.fileio)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        torch.save(state, temp)


def load_training_state(path: Path) -> dict[str, Any]:
    """The state ``save_training_state`` wrote; ResumeError with a sentence otherwise.

    Read by ``read_torch_file`` like every other PyTorch file: a hostile pickle is refused
    naming what it asks for, never with torch's advice to pass weights_only=False."""
    if not path.is_file():
        raise ResumeError(f"{path}: no such training checkpoint")
    try:
        state = read_torch_file(path)
    except CheckpointError as exc:
        raise ResumeError(f"{path}: not a training checkpoint of this tool ({exc.problem})") from None
    needed = {"model", "optimizer", "epoch", "iteration", "recipe", "architecture", "history"}
    if not isinstance(state, dict) or not needed <= set(state):
        raise ResumeError(f"{path}: not a training checkpoint of this tool (expected the keys "
                          f"{sorted(needed)})")
    return state
