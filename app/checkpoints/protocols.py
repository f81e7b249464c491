"""Each published code's recommended test settings, as ProtocolSettings.

"official" is semseg's sliding-window evaluation (the numbers in its README) for
every format; "fast" is the whole-image pass each project itself uses for inference.
Cityscapes models (19 classes) work on 2048-pixel-wide images with larger crops.
"""

from __future__ import annotations

from app.checkpoints.meta import ProtocolSettings

CITYSCAPES_CLASSES = 19


def _is_cityscapes(num_classes: int) -> bool:
    return num_classes == CITYSCAPES_CLASSES


def official(num_classes: int) -> ProtocolSettings:
    """semseg's single-scale evaluation: long side = base, crop windows, flip."""
    if _is_cityscapes(num_classes):
        return ProtocolSettings("official", base_size=2048, resize_side="long", crop_size=713,
                                scales=(1.0,), flip=True)
    return ProtocolSettings("official", base_size=512, resize_side="long", crop_size=473,
                            scales=(1.0,), flip=True)


def semseg_protocols(num_classes: int) -> dict[str, ProtocolSettings]:
    off = official(num_classes)
    fast = ProtocolSettings("fast", base_size=off.base_size, resize_side="long",
                            crop_size=off.crop_size, flip=False)
    return {"fast": fast, "official": off}


def mmseg_protocols(num_classes: int) -> dict[str, ProtocolSettings]:
    """mmseg's Resize(scale=(2048, 512), keep_ratio=True): short side 512, long <= 2048."""
    off = official(num_classes)
    short = 1024 if _is_cityscapes(num_classes) else 512
    fast = ProtocolSettings("fast", base_size=short, resize_side="short", max_long=2048,
                            crop_size=off.crop_size, flip=False)
    return {"fast": fast, "official": off}


def csail_protocols(num_classes: int) -> dict[str, ProtocolSettings]:
    """CSAIL's single-size test: short side 450, long side at most 1000, in CSAIL's own
    pipeline (sizes up to a multiple of 8, PIL resize, logits straight to full size)."""
    off = official(num_classes)
    fast = ProtocolSettings("fast", base_size=450, resize_side="short", max_long=1000,
                            crop_size=off.crop_size, flip=False, style="csail")
    return {"fast": fast, "official": off}
