"""The screenshot scripts' shared command line: ``--weights`` (the shipped model unless
told), ``--image`` where a script photographs one, and ``--out``, the folder the pictures
are written to (docs/screenshots unless told; made if missing). Each script adds its own
options between ``screenshot_parser`` and ``parse_screenshot_args``. No Qt in here: a
script chooses its Qt platform before anything imports PySide6.

    parser = screenshot_parser(__doc__)
    add_image_option(parser)
    parser.add_argument("--copies", type=int, default=3)
    args = parse_screenshot_args(parser)   # args.out is a Path to an existing folder
"""

from __future__ import annotations

import argparse
from pathlib import Path

SCREENSHOTS_DIR = Path(__file__).resolve().parent / "screenshots"


def screenshot_parser(doc: str | None, weights: bool = True) -> argparse.ArgumentParser:
    """A parser described by the first line of the script's ``doc``, with ``--weights``
    unless the script always uses the shipped model (or none)."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0] if doc else None)
    if weights:
        from app.paths import DEFAULT_WEIGHTS  # after the script has put the checkout on sys.path

        parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS),
                            help="checkpoint to load (default: the shipped model)")
    return parser


def add_image_option(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """``--image``: the picture to photograph; None lets the script choose (a sample scene)."""
    parser.add_argument("--image", default=default,
                        help="the image to show (default: %(default)s)" if default else
                        "the image to show (default: the first sample scene)")


def parse_screenshot_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Adds ``--out`` last, parses the command line and makes the output folder."""
    parser.add_argument("--out", type=Path, default=SCREENSHOTS_DIR,
                        help="folder the pictures are written to (default: docs/screenshots)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args
