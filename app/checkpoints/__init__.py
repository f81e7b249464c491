"""Loading and saving PSPNet weights: three published layouts and the project's own.

``load_checkpoint(path)`` detects the format and returns a ``LoadedModel`` (network
on the CPU in eval mode + ``ModelMeta``); ``save_native`` writes the project's
safetensors + JSON card. Every failure is a ``CheckpointError`` with a message for
the user.

The exports load lazily (PEP 562): ``app.checkpoints.meta`` is plain data that the
GUI imports before torch is loaded, and importing it runs this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.checkpoints.detect import load_checkpoint
    from app.checkpoints.errors import CheckpointError
    from app.checkpoints.meta import LoadedModel, ModelMeta, Normalization, ProtocolSettings
    from app.checkpoints.native import save_native, weights_path_for

_EXPORTS = {
    "load_checkpoint": "app.checkpoints.detect", "CheckpointError": "app.checkpoints.errors",
    "LoadedModel": "app.checkpoints.meta", "ModelMeta": "app.checkpoints.meta",
    "Normalization": "app.checkpoints.meta", "ProtocolSettings": "app.checkpoints.meta",
    "save_native": "app.checkpoints.native", "weights_path_for": "app.checkpoints.native",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'app.checkpoints' has no attribute {name!r}")
