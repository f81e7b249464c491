"""The network, free of Qt: configuration, backbones, pyramid pooling, PSPNet.

The exports load lazily (PEP 562) so that ``app.model.config``, which is plain data,
can be imported without paying for torch: the GUI must show its window before torch
has finished loading.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.model.config import BACKBONES, PSPNetConfig
    from app.model.ppm import PPMCapture, PyramidPooling
    from app.model.pspnet import PSPNet, build_pspnet, count_parameters

_EXPORTS = {
    "BACKBONES": "app.model.config", "PSPNetConfig": "app.model.config",
    "PPMCapture": "app.model.ppm", "PyramidPooling": "app.model.ppm",
    "PSPNet": "app.model.pspnet", "build_pspnet": "app.model.pspnet",
    "count_parameters": "app.model.pspnet",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'app.model' has no attribute {name!r}")
