"""The protocol options of ``segment`` and ``evaluate``: defined, range-checked, applied.

Every option either changes a setting the chosen protocol reads or is refused with a
usage error that names the options that protocol takes (``options_taken``): an
option that would be silently ignored is a wrong number in someone's table.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from app.checkpoints.meta import PROTOCOL_STYLES, ModelMeta, ProtocolSettings
from app.checkpoints.protocols import options_taken
from app.cli import UsageError
from app.cli.argtypes import bounded

PROTOCOL_HELP = ("fast: one whole-image pass; official: semseg's sliding windows (its single-scale "
                 "numbers); ms: the checkpoint's own code's multi-scale test (its ms numbers); "
                 "slide: mmseg's slide inference (mmseg checkpoints)")

# option destination (a ProtocolSettings field) -> the flag a person types
FLAGS = {"base_size": "--base-size", "resize_side": "--resize-side", "max_long": "--max-long",
         "crop_size": "--crop-size", "stride": "--stride", "scales": "--scales", "sizes": "--sizes",
         "flip": "--flip/--no-flip"}

# Ranges: wide enough for every published setting (Cityscapes' 2048 base, 769 crops,
# 1.75 x 2048 scales), narrow enough that a typo cannot start an hours-long run: a crop
# of 8 on a 512-pixel image is thousands of windows (minutes per image on a GPU).
BASE_SIZE = (32, 8192)
MAX_LONG = (32, 16384)
CROP_SIZE = (64, 4096)
STRIDE = (16, 4096)
SCALE = (0.25, 4.0)
SIZE = (32, 8192)


def add_protocol_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("protocol (defaults: the model's recommended settings; "
                                      "`main.py info WEIGHTS` lists them)")
    group.add_argument("--protocol", default="fast", choices=tuple(PROTOCOL_STYLES), help=PROTOCOL_HELP)
    group.add_argument("--base-size", type=bounded(int, *BASE_SIZE, "the base size"), metavar="N",
                       help="size of the resized side (fast, official, ms, slide)")
    group.add_argument("--resize-side", choices=("long", "short"),
                       help="which side gets the base size (fast)")
    group.add_argument("--max-long", type=bounded(int, *MAX_LONG, "the long side limit"), metavar="N",
                       help="long side at most N when the short side gets the base size "
                       "(mmseg's 2048, CSAIL's imgMaxSize 1000)")
    group.add_argument("--crop-size", type=bounded(int, *CROP_SIZE, "the crop size"), metavar="N",
                       help="window size (official, semseg's ms, slide)")
    group.add_argument("--stride", type=bounded(int, *STRIDE, "the stride"), metavar="N",
                       help="window step of the slide protocol (at most the crop size)")
    group.add_argument("--scales", type=bounded(float, *SCALE, "a scale"), nargs="+", metavar="S",
                       help="scales of official and ms (mmseg's ratios of its resize scale)")
    group.add_argument("--sizes", type=bounded(int, *SIZE, "a size"), nargs="+", metavar="N",
                       help="short sides of CSAIL's multi-scale test (its imgSizes)")
    group.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None,
                       help="average with the mirrored image (official, semseg's and mmseg's ms)")


def _given(args: argparse.Namespace) -> dict[str, Any]:
    return {field: getattr(args, field) for field in FLAGS if getattr(args, field, None) is not None}


def describe_options(settings: ProtocolSettings) -> str:
    return ", ".join(FLAGS[f] for f in options_taken(settings))


def protocol_settings(args: argparse.Namespace, meta: ModelMeta) -> ProtocolSettings:
    """The model's recommended settings of --protocol with the options given applied;
    UsageError for a protocol the model lacks, an option it would ignore, or bad values."""
    try:
        base = meta.protocol(args.protocol)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    given = _given(args)
    refused = [FLAGS[f] for f in given if f not in options_taken(base)]
    if refused:
        raise UsageError(f"{', '.join(refused)} {'does' if len(refused) == 1 else 'do'} not apply to the "
                         f"{base.name} protocol of this {meta.format} checkpoint; it takes "
                         f"{describe_options(base)}")
    if "max_long" in given and given.get("resize_side", base.resize_side) == "long":
        raise UsageError("--max-long limits the long side when the short side gets the base size; "
                         "with --resize-side long the base size is the long side")
    if "crop_size" in given and "stride" not in given and base.stride is not None:
        base = replace(base, stride=None)  # a new crop takes that crop's default step (2/3), not the old one
    crop, stride = given.get("crop_size", base.crop_size), given.get("stride", base.stride)
    if stride is not None and stride > crop:
        raise UsageError(f"the stride ({stride}) must not exceed the crop size ({crop}): pixels between "
                         "windows would never be seen")
    try:
        return base.with_overrides(**given)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad protocol options: {exc}") from None
