"""``main.py generate``: write generated scenes with exact labels, in the layout
``evaluate`` and ``train --data`` read (DIR/images, DIR/labels, DIR/classes.json)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.argtypes import bounded, size

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MAX_COUNT = 100_000  # scenes per call


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from app.cli.train_cmd import SIDES  # noqa: PLC0415
    from app.training.scenes import DEFAULT_SIZE  # noqa: PLC0415

    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--count", type=bounded(int, 1, MAX_COUNT, "--count"), default=100,
                        help=f"number of scenes, 1 to {MAX_COUNT} (default %(default)s)")
    parser.add_argument("--seed", type=bounded(int, 0, 2**32 - 1, "--seed"), default=10_000_000,
                        help="seed of the first scene; scene i uses seed+i. Training uses seeds "
                             "below 10,000,000, so the default gives held-out scenes")
    parser.add_argument("--size", type=size(*SIDES, "--size"), default=DEFAULT_SIZE, metavar="WxH",
                        help="scene size (default %(default)s, the shipped model's training size)")
    parser.add_argument("--format", choices=["png", "jpg"], default="png", help="image file format")
    parser.add_argument("--overwrite", action="store_true", help="replace existing scene files")


def run(args: argparse.Namespace) -> int:
    from app.training.scenes import scene_classes  # noqa: PLC0415
    from app.training.writing import SceneWriteError, write_scenes  # noqa: PLC0415

    try:
        written = write_scenes(args.out, range(args.seed, args.seed + args.count), args.size,
                               args.format, args.overwrite,
                               progress=lambda i, n: print(f"\r{i}/{n} scenes", end="", flush=True))
    except SceneWriteError as exc:
        print(f"\ngenerate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"\ngenerate: cannot write to {args.out}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"\nwrote {written} scenes to {args.out}/images and {args.out}/labels, "
          f"classes in {args.out}/classes.json ({len(scene_classes())} classes)")
    return EXIT_OK
