"""``main.py segment ... --engine ray``: the segment command on a Ray cluster.

Parses and checks everything the local command does (same messages, same exit
codes: 0 all ok, 1 some failed, 2 usage), then hands the jobs to ``RayEngine``.
"""

from __future__ import annotations

import argparse
import sys

from app.cli import EXIT_USAGE, UsageError
from app.cluster import INSTALL_HINT, ray_available




def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Ray engine (--engine ray; needs the cluster extra)")
    group.add_argument("--ray-address", metavar="ADDR",
                       help="Ray cluster to use, e.g. 10.0.0.1:6379 or auto (default: start a local Ray "
                       "instance on this machine)")
    group.add_argument("--workers", type=int, metavar="N",
                       help="worker processes, each loading the model once (default: one per GPU share, "
                       "or one CPU worker per node)")
    group.add_argument("--gpus-per-worker", type=float, metavar="F",
                       help="GPUs per worker; a fraction shares a GPU, 0 runs CPU workers "
                       "(default: 1 when the cluster has GPUs, else 0)")
    group.add_argument("--batch-size", type=int, default=2, metavar="N",
                       help="images handed to a worker at a time (default: 2)")


def run_segment(args: argparse.Namespace) -> int:
    if not ray_available():
        print(f"error: {INSTALL_HINT}", file=sys.stderr)
        return EXIT_USAGE
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from app.cli.segment_cmd import (  # noqa: PLC0415 - the local command's own checks and progress
        Progress, check_writable, file_reporter, load_model, plan_run, print_report, protocol_settings)
    from app.cluster.pool import RayEngineError  # noqa: PLC0415 - imports Ray
    from app.cluster.ray_engine import RayEngine, RayOptions  # noqa: PLC0415
    from app.engine.ledger import LedgerError  # noqa: PLC0415
    from app.paths import DEFAULT_WEIGHTS  # noqa: PLC0415

    if getattr(args, "backend", "auto") == "onnx":  # auto is torch there
        raise UsageError("--backend onnx is not available with --engine ray: the Ray workers run PyTorch")
    jobs, formats, out_dir = plan_run(args)
    loaded = load_model(args)  # on the driver: bad weights are a usage error before any cluster work
    settings = protocol_settings(args, loaded.meta)
    check_writable(out_dir)
    options = RayOptions(address=args.ray_address, workers=args.workers, gpus_per_worker=args.gpus_per_worker,
                         batch_size=args.batch_size, device=args.device, precision=args.precision,
                         window_batch=args.window_batch)
    weights = args.weights or str(DEFAULT_WEIGHTS)
    progress = Progress(len(jobs))
    try:
        with RayEngine(weights, options) as engine:
            print(f"segmenting {len(jobs)} image(s) with {loaded.meta.display_name} on "
                  f"{engine.plan.describe()}, protocol {settings.name} -> {out_dir}", file=sys.stderr)
            report = engine.run(jobs, out_dir, loaded.meta, formats, settings, overwrite=args.overwrite,
                                on_file=file_reporter(progress), replace_edited=args.replace_edited)
            worker_problems = list(engine.pool.problems)
    except (RayEngineError, LedgerError) as exc:
        raise UsageError(str(exc)) from None
    return print_report(report, worker_problems)
