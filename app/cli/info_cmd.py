"""``main.py info WEIGHTS``: what a checkpoint is, without running it."""

from __future__ import annotations

import argparse
import sys

from app.checkpoints import CheckpointError, LoadedModel, load_checkpoint
from app.checkpoints.card_text import card_sections, sections_text
from app.checkpoints.meta import PROTOCOL_STYLES, ProtocolSettings
from app.cli.protocol_options import describe_options
from app.engine.slide import slide_stride
from app.model import count_parameters

SHOWN_CLASS_NAMES = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="a .pth (semseg or mmseg), a CSAIL encoder/decoder file or "
                        "folder, or a .safetensors with its .json card")


def _side(p: ProtocolSettings) -> str:
    side = f"{p.resize_side} side {p.base_size}"
    if p.max_long and p.resize_side == "short":
        side += f" (long side at most {p.max_long})"
    return side


def describe_protocol(p: ProtocolSettings) -> str:
    """One line: what the protocol does with these settings."""
    scales = ", ".join(f"{s:g}" for s in p.scales)
    flip = f"flip {'on' if p.flip else 'off'}"
    if p.name == "fast":
        pipeline = (", CSAIL's pipeline (sides rounded up to a multiple of 8, PIL resize, "
                    "logits straight to full size)" if p.style == "csail" else "")
        return f"whole image, {_side(p)}{pipeline}"
    if p.name == "slide":
        return (f"mmseg's slide inference: {_side(p)}, {p.crop_size}x{p.crop_size} windows, stride "
                f"{slide_stride(p)}, logits averaged")
    if p.name == "ms" and p.style == "mmseg":
        return (f"mmseg's test-time augmentation: whole image at ratios {scales} of {_side(p)}, {flip}, "
                "softmax averaged")
    if p.name == "ms" and p.style == "csail":
        sizes = ", ".join(str(s) for s in p.sizes)
        return (f"CSAIL's multi-size test: whole image at short sides {sizes} (long side at most "
                f"{p.max_long}), softmax averaged")
    windows = f"sliding {p.crop_size}x{p.crop_size} windows, {_side(p)}, scales {scales}, {flip}"
    return f"semseg's multi-scale test: {windows}" if p.name == "ms" else windows


def describe_protocols(protocols: dict[str, ProtocolSettings]) -> list[str]:
    """Each protocol (in the order fast, official, ms, slide) and the options it takes."""
    order = [n for n in PROTOCOL_STYLES if n in protocols] + sorted(set(protocols) - set(PROTOCOL_STYLES))
    lines = []
    for name in order:
        lines.append(f"  {name:<9}    {describe_protocol(protocols[name])}")
        lines.append(f"  {'':<9}    options: {describe_options(protocols[name])}")
    return lines


def _parameters(loaded: LoadedModel) -> str:
    total = count_parameters(loaded.model)
    aux = loaded.model.aux
    if aux is None:
        return f"{total:,}"
    return f"{total:,} ({total - count_parameters(aux):,} without the training-only auxiliary head)"


def _class_summary(loaded: LoadedModel) -> str:
    classes = loaded.meta.classes
    label = classes.title or classes.dataset
    if f"{len(classes)} classes" not in label:
        label += f", {len(classes)} classes"
    return f"{label} [{classes.dataset}]"


def describe(loaded: LoadedModel) -> list[str]:
    meta, cfg = loaded.meta, loaded.meta.architecture
    classes = meta.classes
    names = ", ".join(classes.names[:SHOWN_CLASS_NAMES])
    if len(classes) > SHOWN_CLASS_NAMES:
        names += f", ... ({len(classes) - SHOWN_CLASS_NAMES} more)"
    norm = meta.normalization
    lines = [
        f"name:          {meta.display_name}",
        f"source:        {meta.source}",
        f"format:        {meta.format_title} [{meta.format}]",
        f"architecture:  {cfg.description}",
        f"               stem {'-'.join(map(str, cfg.stem_widths))}, align_corners="
        f"{cfg.align_corners}, auxiliary head {'yes' if cfg.aux else 'no'}",
        f"parameters:    {_parameters(loaded)}",
        f"classes:       {_class_summary(loaded)}",
        f"               {names}",
        f"normalisation: RGB 0-255, mean {tuple(round(v, 3) for v in norm.mean)}, "
        f"std {tuple(round(v, 3) for v in norm.std)}",
        "protocols:",
    ]
    lines += describe_protocols({name: meta.protocol(name) for name in meta.offered_protocols()})  # what segment --protocol takes
    lines += sections_text(card_sections(meta.card))  # the model card dialog's words
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_checkpoint(args.weights)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(describe(loaded)))
    return 0
