"""Loading and saving PSPNet weights: three published layouts and the project's own.

``load_checkpoint(path)`` detects the format and returns a ``LoadedModel`` (network
on the CPU in eval mode + ``ModelMeta``); ``save_native`` writes the project's
safetensors + JSON card. Every failure is a ``CheckpointError`` with a message for
the user.
"""

from app.checkpoints.detect import load_checkpoint
from app.checkpoints.errors import CheckpointError
from app.checkpoints.meta import LoadedModel, ModelMeta, Normalization, ProtocolSettings
from app.checkpoints.native import save_native, weights_path_for

__all__ = ["CheckpointError", "LoadedModel", "ModelMeta", "Normalization", "ProtocolSettings",
           "load_checkpoint", "save_native", "weights_path_for"]
