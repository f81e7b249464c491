"""``main.py info WEIGHTS``: what a checkpoint is, without running it."""

from __future__ import annotations

import argparse
import sys

from app.checkpoints import CheckpointError, LoadedModel, load_checkpoint
from app.checkpoints.meta import ProtocolSettings
from app.model import count_parameters

SHOWN_CLASS_NAMES = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("weights", help="a .pth (semseg or mmseg), a CSAIL encoder/decoder file or "
                        "folder, or a .safetensors with its .json card")


def describe_protocol(p: ProtocolSettings) -> str:
    side = f"{p.resize_side} side {p.base_size}"
    if p.max_long:
        side += f" (long side at most {p.max_long})"
    if p.name == "fast":
        pipeline = (", CSAIL's pipeline (sides rounded up to a multiple of 8, PIL resize, "
                    "logits straight to full size)" if p.style == "csail" else "")
        return f"whole image, {side}{pipeline}"
    scales = ", ".join(f"{s:g}" for s in p.scales)
    return (f"sliding {p.crop_size}x{p.crop_size} windows, {side}, scales {scales}, "
            f"flip {'on' if p.flip else 'off'}")


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
    lines += [f"  {name:<9}    {describe_protocol(p)}" for name, p in sorted(meta.protocols.items())]
    for key in ("training", "metrics"):
        if isinstance(meta.card.get(key), dict) and meta.card[key]:
            summary = ", ".join(f"{k}={v}" for k, v in list(meta.card[key].items())[:6])
            lines.append(f"{key + ':':<15}{summary}")
    lines += [f"note:          {n}" for n in meta.card.get("notes", [])]
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        loaded = load_checkpoint(args.weights)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(describe(loaded)))
    return 0
