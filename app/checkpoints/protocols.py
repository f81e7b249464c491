"""Each published code's own test protocols, as ProtocolSettings, and the options each takes.

"official" is semseg's sliding-window evaluation (the numbers in its README) for
every format; "fast" is the whole-image pass each project itself uses for inference;
"ms" is each project's own multi-scale test (the second number of its published
pairs); "slide" is mmseg's slide inference. docs/protocols.md says which protocol
produced which published number. Cityscapes models (19 classes) work on
2048-pixel-wide images with larger crops.
"""

from __future__ import annotations

from dataclasses import replace

from app.checkpoints.meta import ProtocolSettings, standard_protocol

CITYSCAPES_CLASSES = 19
# The ratios of every published multi-scale number (semseg's scales, mmseg's img_ratios).
MS_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
# CSAIL's config: imgSizes (short sides) and imgMaxSize.
CSAIL_SIZES = (300, 375, 450, 525, 600)
CSAIL_MAX_SIZE = 1000
# mmseg's keep-ratio Resize scale (long, short) and its slide windows (crop, stride).
MMSEG_SCALE = (2048, 512)
MMSEG_CITYSCAPES_SCALE = (2048, 1024)
MMSEG_SLIDE = (512, 341)
MMSEG_CITYSCAPES_SLIDE = (769, 513)          # the 769x769 models, after Resize (2049, 1025)
MMSEG_CITYSCAPES_SLIDE_SCALE = (2049, 1025)

# Which ProtocolSettings fields each protocol (and style) reads: an option for any other
# field would be ignored, so the command line refuses it.
_OPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("fast", "standard"): ("base_size", "resize_side", "max_long"),
    ("fast", "csail"): ("base_size", "resize_side", "max_long"),
    ("official", "standard"): ("base_size", "crop_size", "scales", "flip"),
    ("ms", "semseg"): ("base_size", "crop_size", "scales", "flip"),
    ("ms", "mmseg"): ("base_size", "max_long", "scales", "flip"),
    ("ms", "csail"): ("sizes", "max_long"),
    ("slide", "mmseg"): ("base_size", "max_long", "crop_size", "stride"),
}


def options_taken(settings: ProtocolSettings) -> tuple[str, ...]:
    """The ProtocolSettings fields that ``settings``' protocol reads (and so may be changed)."""
    return _OPTIONS[(settings.name, settings.style)]


def _is_cityscapes(num_classes: int) -> bool:
    return num_classes == CITYSCAPES_CLASSES


def official(num_classes: int) -> ProtocolSettings:
    """semseg's single-scale evaluation: long side = base, crop windows, flip."""
    settings = standard_protocol("official")  # long side 512, 473 windows, one scale, flip
    if _is_cityscapes(num_classes):
        return replace(settings, base_size=2048, crop_size=713)
    return settings


def semseg_multi_scale(off: ProtocolSettings) -> ProtocolSettings:
    """semseg's multi-scale evaluation: the official windows at six scales, with flip."""
    return ProtocolSettings("ms", base_size=off.base_size, resize_side="long", crop_size=off.crop_size,
                            scales=MS_SCALES, flip=True, style="semseg")


def semseg_protocols(num_classes: int) -> dict[str, ProtocolSettings]:
    off = official(num_classes)
    fast = ProtocolSettings("fast", base_size=off.base_size, resize_side="long",
                            crop_size=off.crop_size, flip=False)
    return {"fast": fast, "official": off, "ms": semseg_multi_scale(off)}


def mmseg_protocols(num_classes: int) -> dict[str, ProtocolSettings]:
    """mmseg's Resize(scale=(2048, 512), keep_ratio=True): short side 512, long <= 2048;
    its test-time augmentation over that scale; its slide inference."""
    off = official(num_classes)
    long_side, short = MMSEG_CITYSCAPES_SCALE if _is_cityscapes(num_classes) else MMSEG_SCALE
    fast = ProtocolSettings("fast", base_size=short, resize_side="short", max_long=long_side,
                            crop_size=off.crop_size, flip=False)
    ms = ProtocolSettings("ms", base_size=short, resize_side="short", max_long=long_side,
                          crop_size=off.crop_size, scales=MS_SCALES, flip=True, style="mmseg")
    if _is_cityscapes(num_classes):
        (crop, stride), (slide_long, slide_short) = MMSEG_CITYSCAPES_SLIDE, MMSEG_CITYSCAPES_SLIDE_SCALE
    else:
        (crop, stride), (slide_long, slide_short) = MMSEG_SLIDE, MMSEG_SCALE
    slide = ProtocolSettings("slide", base_size=slide_short, resize_side="short", max_long=slide_long,
                             crop_size=crop, stride=stride, flip=False, style="mmseg")
    return {"fast": fast, "official": off, "ms": ms, "slide": slide}


def csail_protocols(num_classes: int) -> dict[str, ProtocolSettings]:
    """CSAIL's single-size test: short side 450, long side at most 1000, in CSAIL's own
    pipeline (sizes up to a multiple of 8, PIL resize, logits straight to full size);
    its multi-size test averages the softmax of the five sizes."""
    off = official(num_classes)
    fast = ProtocolSettings("fast", base_size=450, resize_side="short", max_long=CSAIL_MAX_SIZE,
                            crop_size=off.crop_size, flip=False, style="csail")
    ms = ProtocolSettings("ms", base_size=450, resize_side="short", max_long=CSAIL_MAX_SIZE,
                          crop_size=off.crop_size, flip=False, style="csail", sizes=CSAIL_SIZES)
    return {"fast": fast, "official": off, "ms": ms}
