"""What every format module shares: an imported dataset, and PNG bytes of an array."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from PIL import Image

from app.engine.binary_masks import BlackWhiteMasks


@dataclass
class SourceDataset:
    """Label maps read from another tool's files, in that tool's class numbering.

    ``names[v]`` is the name of value ``v``; 255 is ignore. ``unlabelled`` names
    mean "nothing labelled here" (CVAT's ``background``, labelme's ``_background_``):
    they become ignore unless the target classes have a class of that name."""

    names: list[str]
    colors: list[tuple[int, int, int]]
    items: list[tuple[str, Callable[[], np.ndarray]]]  # (name, loader raising ItemError)
    unlabelled: set[str] = field(default_factory=set)
    # the label maps read as class indices (VOC's), for the warning about black/white masks
    masks: BlackWhiteMasks = field(default_factory=BlackWhiteMasks)


def png_bytes(image: Image.Image | np.ndarray) -> bytes:
    im = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    buffer = io.BytesIO()
    im.save(buffer, format="PNG")
    return buffer.getvalue()
