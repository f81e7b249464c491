"""``main.py export RUN_DIR --format FORMAT --dest PATH``: a run folder as an annotation tool's dataset.

Exit codes: 0 every label map exported; 1 some were not (bad values, a size
that differs from the photo: each is listed, the rest are exported); 2 usage
errors (not a run folder, unknown format, an existing destination without
--overwrite, a bad mapping file, an --only that takes no label map or an unusable
review.json). See docs/export.md for each format.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from app.cli import EXIT_OK, EXIT_SOME_FAILED, UsageError
from app.cli.segment_cmd import Progress

FORMATS = ("cvat-mask", "coco", "labelme", "yolo-seg", "voc")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help="output folder of `segment` or Label Folder (NAME.png + labelmap.txt)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="the dataset format to write")
    parser.add_argument("--dest", required=True, metavar="PATH",
                        help="folder to create (cvat-mask: a .zip path writes one archive)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing destination")
    parser.add_argument("--mapping", metavar="FILE",
                        help="'FROM TO' lines giving class indices another dataset's ids "
                        "(e.g. Cityscapes trainId -> id); 255 = ignore")
    parser.add_argument("--only", choices=("accepted", "not-needs-work"), default="all",
                        help="export only the images marked accepted in Review, or all but those "
                        "marked needs work (marks: review.json in RUN_DIR); default: all")


def progress_reporter() -> Callable[[int, int, str, str], None]:
    """An ``on_item`` callback printing a progress line per label map on stderr."""
    progress: Progress | None = None

    def on_item(done: int, total: int, name: str, error: str) -> None:
        nonlocal progress
        if progress is None or done == 0:
            progress = Progress(total, unit="map")
        if done:
            progress.update(done, name, f"failed: {error}" if error else "ok")

    return on_item


def print_outcome(report, verb: str) -> int:
    """The closing lines on stderr (counts, notes, failures) and the exit code; shared with import."""
    if report.cancelled:
        print(f"cancelled: nothing written to {report.dest}", file=sys.stderr)
    elif report.published:
        print(f"{verb} {len(report.exported)} label map(s) to {report.dest}", file=sys.stderr)
    else:
        print(f"nothing written to {report.dest}: no label map could be {verb}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if report.failures:
        print("failed:", file=sys.stderr)
        for failure in report.failures:
            print(f"  {failure}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from app.interchange.exporter import export_run  # noqa: PLC0415
    from app.interchange.run_folder import ExportError  # noqa: PLC0415

    try:
        report = export_run(args.run_dir, args.format, args.dest, overwrite=args.overwrite,
                            mapping=args.mapping, on_item=progress_reporter(), only=args.only)
    except (ExportError, OSError) as exc:
        raise UsageError(str(exc)) from None
    return print_outcome(report, "exported")
