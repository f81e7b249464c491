"""``main.py segment INPUT ... --out DIR``: label images and folders headlessly.

Exit codes: 0 every image succeeded (or was already done), 1 some failed (all
others are still written; the failures are listed), 2 usage errors (missing
input, unwritable output folder, bad weights, unknown device).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

from app.cli import EXIT_OK, EXIT_SOME_FAILED, UsageError
from app.cli.argtypes import bounded
from app.cli.protocol_options import add_protocol_arguments, protocol_settings  # noqa: F401 - evaluate and the Ray engine take them from here

ENGINES = ("local", "ray")  # ray: app/cluster (the optional cluster extra), docs/cluster.md


# --- options shared with `evaluate` ---------------------------------------------------

def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", metavar="PATH",
                        help="checkpoint to use (default: the shipped model)")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "fp16", "bf16"),
                        help="autocast precision on a GPU (ignored on the CPU)")
    # torch by default: auto's first window-protocol run exports a graph (tens of seconds for the
    # shipped model, minutes for PSPNet-50), which only a folder's worth of images pays back
    parser.add_argument("--backend", default="torch", choices=("torch", "onnx", "auto"),
                        help="what runs the network's plain forwards: torch (default), onnx (ONNX Runtime, "
                        "CPU; graphs cached per model and input size), auto (onnx on the CPU where it "
                        "measured faster, torch on a GPU; worth it for folders)")
    parser.add_argument("--window-batch", type=bounded(int, 1, 256, "--window-batch"), metavar="N",
                        help="windows per forward in the window protocols (official, slide, semseg's ms), "
                        "each with its mirror image when flipping; default 4 on a GPU, 1 on the CPU (where "
                        "bigger batches measured no faster). With the onnx backend each batch size is its "
                        "own cached graph")


def load_model(args: argparse.Namespace):
    """The LoadedModel of --weights (or the default model); UsageError on any problem."""
    from app.checkpoints import CheckpointError, load_checkpoint  # noqa: PLC0415 - torch only when needed
    from app.paths import DEFAULT_WEIGHTS  # noqa: PLC0415

    path = Path(args.weights) if args.weights else DEFAULT_WEIGHTS
    if not args.weights and not path.exists():
        raise UsageError(f"no --weights given and the default model {path} is not installed; "
                         "pass --weights PATH (a .pth or .safetensors checkpoint)")
    try:
        return load_checkpoint(path)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None


def make_segmenter(args: argparse.Namespace, loaded):
    from app.engine.backend import BackendError  # noqa: PLC0415
    from app.engine.device import DeviceError  # noqa: PLC0415
    from app.engine.segmenter import Segmenter  # noqa: PLC0415

    try:
        return Segmenter(loaded, args.device, args.precision, window_batch=args.window_batch,
                         backend=args.backend)
    except (DeviceError, BackendError) as exc:
        raise UsageError(str(exc)) from None


# --- progress on stderr -----------------------------------------------------------------

class Progress:
    """A bar with count, rate and ETA on a terminal; one plain line per file otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, unit: str = "img") -> None:
        self.total, self.unit = total, unit
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.done = 0

    def update(self, done: int, label: str = "", status: str = "") -> None:
        self.done = done
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate > 0 else 0.0
        if self.tty:
            width = 30
            filled = int(width * done / max(self.total, 1))
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total}  {rate:.2f} {self.unit}/s  "
                              f"ETA {_clock(eta)} ")
            if done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{done}/{self.total}] {label}: {status} ({rate:.2f} {self.unit}/s, "
                              f"ETA {_clock(eta)})\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# --- the command --------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files and/or folders")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_model_arguments(parser)
    add_protocol_arguments(parser)
    parser.add_argument("--formats", default="label,color,overlay,json",
                        help="comma-separated outputs: label (NAME.png), color (NAME_color.png), "
                        "overlay (NAME_overlay.jpg), json (NAME.json)")
    parser.add_argument("--recursive", action="store_true", help="include sub-folders, mirrored under --out")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing outputs (not maps edited by hand, nor run files this app "
                        "did not write)")
    parser.add_argument("--replace-edited", action="store_true",
                        help="also label again the images whose maps were edited by hand (NAME.json says "
                        "\"edited\": true), replacing their files")
    parser.add_argument("--images-per-forward", type=bounded(int, 1, 64, "--images-per-forward"), default=1,
                        metavar="N",
                        help="window protocols (official, slide, semseg's ms), local engine: segment N images "
                        "together, their windows sharing each forward (up to --window-batch windows: 4 on "
                        "a GPU, 1 on the CPU by default), which fills a GPU's batches on small photos; same window maths, same labels; "
                        "default 1 (one image at a time). Ignored by fast and the whole-image ms tests")
    parser.add_argument("--engine", default="local", choices=ENGINES, help="where to run (default: local)")
    from app.cli.segment_ray import add_arguments as add_cluster_arguments  # noqa: PLC0415 - does not import Ray

    add_cluster_arguments(parser)


def check_writable(folder: Path) -> None:
    if os.path.lexists(folder) and not folder.is_dir():
        raise UsageError(f"the output folder {folder} is a file, not a folder; it was kept. Choose a folder for --out")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {folder}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    if args.engine == "ray":
        if args.images_per_forward > 1:
            raise UsageError("--images-per-forward is for --engine local: Ray workers segment one image at a time")
        from app.cli.segment_ray import run_segment  # noqa: PLC0415

        return run_segment(args)
    return _run(args)


def plan_run(args: argparse.Namespace) -> tuple[list, tuple[str, ...], Path]:
    """Jobs, formats and output folder of a ``segment`` run; usage problems raise UsageError.

    Shared by the local and the Ray engine so both plan the same output names.
    """
    from app.engine.batch import plan_jobs  # noqa: PLC0415
    from app.engine.writers import parse_formats  # noqa: PLC0415

    try:
        formats = parse_formats(args.formats)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out_dir = Path(args.out)
    jobs, problems = plan_jobs(args.inputs, out_dir, recursive=args.recursive)
    if problems:
        raise UsageError("; ".join(problems))
    if not jobs:
        raise UsageError(f"no images found in {', '.join(args.inputs)} (looked for common image "
                         f"extensions{'' if args.recursive else '; sub-folders need --recursive'})")
    return jobs, formats, out_dir


def file_reporter(progress: "Progress") -> Callable[[Any], None]:
    """An ``on_file`` callback that advances the progress display by one finished image."""
    return lambda rec: progress.update(progress.done + 1, rec.input,
                                       rec.status + (f": {rec.error}" if rec.error else ""))


def print_report(report: Any, extra_notes: Iterable[str] = ()) -> int:
    """The closing lines on stderr (counts, notes, failures with reasons, run-level
    problems such as run files that could not be written) and the exit code."""
    counts = {s: report.count(s) for s in ("ok", "skipped", "failed", "cancelled")}
    print(f"done in {report.seconds:.1f} s: {counts['ok']} written, {counts['skipped']} already done "
          f"(skipped), {counts['failed']} failed" + (f", {counts['cancelled']} cancelled"
                                                     if counts["cancelled"] else ""), file=sys.stderr)
    for note in [*extra_notes, *getattr(report, "notes", ())]:
        print(f"note: {note}", file=sys.stderr)
    per_image: dict[str, list[str]] = {}
    for rec in report.records:
        for note in rec.notes:
            per_image.setdefault(note, []).append(Path(rec.input).name)
    for note, names in sorted(per_image.items()):
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        print(f"note: {note} ({shown})", file=sys.stderr)
    if report.failures:
        print("failed:", file=sys.stderr)
        for rec in report.failures:
            print(f"  {rec.error if rec.input in rec.error else rec.input + ': ' + rec.error}", file=sys.stderr)
    problems = getattr(report, "problems", [])
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_SOME_FAILED if report.failures or problems else EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from app.engine.batch import run_batch  # noqa: PLC0415
    from app.engine.ledger import LedgerError  # noqa: PLC0415

    jobs, formats, out_dir = plan_run(args)
    loaded = load_model(args)
    settings = protocol_settings(args, loaded.meta)
    segmenter = make_segmenter(args, loaded)
    check_writable(out_dir)  # last: a usage error above leaves no folder behind
    together = args.images_per_forward if segmenter.groups_images(settings) else 1
    print(f"segmenting {len(jobs)} image(s) with {loaded.meta.display_name} on {segmenter.device}, "
          f"protocol {settings.name}, backend {segmenter.backend.name}"
          + (f", {together} images per forward" if together > 1 else "") + f" -> {out_dir}", file=sys.stderr)
    if args.images_per_forward > 1 and together == 1:
        print(f"note: --images-per-forward is for the window protocols; protocol {settings.name} "
              "segments one image at a time", file=sys.stderr)
    progress = Progress(len(jobs))
    try:
        report = run_batch(jobs, segmenter, out_dir, formats, settings, overwrite=args.overwrite,
                           on_file=file_reporter(progress), replace_edited=args.replace_edited,
                           images_per_forward=args.images_per_forward)
    except LedgerError as exc:
        raise UsageError(str(exc)) from None
    return print_report(report)
