"""Build ONNX graphs into the user's cache in a process of their own (the desktop window's).

    python -m app.engine.onnx_build WEIGHTS 1x3x473x672 [2x3x672x672 ...]

The window runs this as a child process instead of exporting in its own: the dynamo
exporter holds the GIL for up to half a second at a time (measured: a 557 ms gap of the
GUI thread's 10 ms timer while the shipped model's graph was built in the worker thread),
which would freeze the window for tens of seconds to minutes. The graphs land in the same
cache (``GraphCache``: each file written to a temporary and renamed, the record last, its
sha256 checked when loaded), where the window's backend finds them.

Each line on stdout is one step, for the window's progress: ``building I N SHAPE``,
``built I N SHAPE SECONDS``, and at the end ``done``. Errors go to stderr, exit status 1.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

NICENESS = 10


class Stopped(BaseException):
    """SIGTERM: not an Exception, so nothing on the way out swallows it."""


def _stop(_signum: int, _frame: object) -> None:
    raise Stopped()


def parse_shape(text: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in text.lower().split("x"))
    if len(parts) != 4 or parts[1] != 3 or min(parts) < 1:
        raise ValueError(f"a shape is BATCHx3xHEIGHTxWIDTH, not {text!r}")
    return parts


def shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.engine.onnx_build", description=__doc__.splitlines()[0])
    parser.add_argument("weights", help="a checkpoint the project loads (load_checkpoint)")
    parser.add_argument("shapes", nargs="+", help="input shapes, BATCHx3xHEIGHTxWIDTH")
    args = parser.parse_args(argv)
    try:
        shapes = [parse_shape(s) for s in args.shapes]
        import torch  # noqa: PLC0415 - after the arguments are checked

        from app.checkpoints import load_checkpoint  # noqa: PLC0415
        from app.engine.onnx_backend import GraphCache, require_onnx  # noqa: PLC0415

        require_onnx()
        model = load_checkpoint(args.weights).model.eval()
        cache = GraphCache()
        for index, shape in enumerate(shapes, 1):
            print(f"building {index} {len(shapes)} {shape_text(shape)}", flush=True)
            started = time.perf_counter()
            with torch.inference_mode():
                cache.graph(model, shape)  # loaded, not rebuilt, when another process made it meanwhile
            print(f"built {index} {len(shapes)} {shape_text(shape)} {time.perf_counter() - started:.1f}", flush=True)
        for note in cache.notes:
            print(note, file=sys.stderr)
    except Stopped:
        return 2
    except Exception as exc:  # noqa: BLE001 - the window shows this line
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return 1
    print("done", flush=True)
    return 0


def as_child() -> None:
    """What the process does before ``main`` when the window runs it (not when imported)."""
    # the window's Cancel: leave as an exception, so the file being written is removed (atomic_path)
    signal.signal(signal.SIGTERM, _stop)
    if hasattr(os, "nice"):  # a build in the background: the window's own work goes first
        os.nice(NICENESS)


if __name__ == "__main__":
    as_child()
    sys.exit(main())
