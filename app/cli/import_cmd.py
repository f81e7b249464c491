"""``main.py import --format FORMAT SRC --dest LABEL_DIR``: another tool's labels as class-index PNGs.

Writes ``NAME.png`` (palette PNG of class indices, 255 = ignore) and
``labelmap.txt`` into LABEL_DIR, the files the editor, ``evaluate`` and
``train --data`` read. Exit codes as ``export``: 0 all imported, 1 some files
failed (listed), 2 usage errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import UsageError
from app.cli.export_cmd import print_outcome, progress_reporter

FORMATS = ("cvat-mask", "coco", "labelme", "voc")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", required=True, choices=FORMATS, help="the format SRC is in")
    parser.add_argument("src", metavar="SRC", help="the dataset folder (coco: the folder or its JSON file)")
    parser.add_argument("--dest", required=True, metavar="LABEL_DIR", help="label folder to create")
    parser.add_argument("--labelmap", metavar="FILE",
                        help="the classes to number labels by (e.g. the model's run labelmap.txt); "
                        "default: the dataset's own label order")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing LABEL_DIR")


def run(args: argparse.Namespace) -> int:
    from app.interchange.importer import import_labels  # noqa: PLC0415
    from app.interchange.run_folder import ExportError, read_labelmap  # noqa: PLC0415

    try:
        classes = read_labelmap(Path(args.labelmap)) if args.labelmap else None
        report = import_labels(args.format, args.src, args.dest, classes, overwrite=args.overwrite,
                               on_item=progress_reporter())
    except (ExportError, OSError) as exc:
        raise UsageError(str(exc)) from None
    return print_outcome(report, "imported")
