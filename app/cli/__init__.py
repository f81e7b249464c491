"""Command line: ``python main.py [gui options]`` or ``python main.py SUBCOMMAND ...``.

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(args) -> int``; they are imported only when used, so ``info`` does not pay
for Qt and the GUI does not pay for the batch machinery.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from typing import Sequence

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "info": ("app.cli.info_cmd", "describe a checkpoint: format, architecture, classes, protocol"),
    "segment": ("app.cli.segment_cmd", "label images and folders headlessly"),
    "evaluate": ("app.cli.evaluate_cmd", "measure mIoU on a folder of images and labels"),
    "generate": ("app.cli.generate_cmd", "write generated training scenes with exact labels"),
    "train": ("app.cli.train_cmd", "train a PSPNet on generated scenes or a folder"),
    "export": ("app.cli.export_cmd", "export a run folder to CVAT, COCO, labelme, YOLO-seg or VOC"),
    "import": ("app.cli.import_cmd", "turn CVAT, COCO, labelme or VOC labels into class-index PNGs"),
}

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line or its inputs: the message is printed, exit code 2."""


def user_help() -> str:
    """``main.py --help``: the desktop app's options, then the subcommands (for users, not
    this module's developer notes)."""
    from app.gui.launch import build_parser as gui_parser  # noqa: PLC0415 - argparse only, no Qt

    lines = [gui_parser().format_help().rstrip(), "", "subcommands (main.py SUBCOMMAND --help for their options):"]
    lines += [f"  {name:<10} {help_text}" for name, (_, help_text) in SUBCOMMANDS.items()]
    return "\n".join(lines)


def build_parser(name: str) -> argparse.ArgumentParser:
    module_name, help_text = SUBCOMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"main.py {name}", description=help_text)
    module.add_arguments(parser)
    parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        args = build_parser(argv[0]).parse_args(argv[1:])
        try:
            return int(args._run(args))
        except UsageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
    if argv and argv[0] in ("-h", "--help"):
        print(user_help())
        return 0
    from app.gui.launch import launch  # noqa: PLC0415 - Qt only when the GUI is wanted
    return launch(argv)


def entry_point() -> int:
    """The process's own entry (``main.py``, the ``pspnet-studio`` script): ``main()``, and
    after a subcommand an exit that does not walk the heap. Python's last cycle collection at
    exit visits every object torch, torchvision and ONNX Runtime made: 0.5-0.8 s of a
    ``segment`` run (measured: an interpreter that imports them exits 0.6 s sooner frozen).
    A subcommand has closed and flushed what it wrote before it returns, so nothing depends
    on that collection. Not after the GUI (Qt's objects are torn down in their own order),
    and not in ``main()`` itself, which tests call in their own process."""
    argv = sys.argv[1:]
    code = main(argv)
    if argv and argv[0] in SUBCOMMANDS:
        gc.freeze()
    return code
