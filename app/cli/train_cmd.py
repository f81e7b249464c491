"""``main.py train``: train a PSPNet on generated scenes or on a folder of images + labels."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from app.cli.argtypes import bounded, size

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_OUT_NAME = "pspnet_trained.safetensors"  # in the current folder: never the shipped weights/


def plan_output(out: Path | None, overwrite: bool, folder: Path | None = None) -> Path:
    """Where ``train`` writes its weights (+ the .json card beside them).

    No ``--out``: a new file in the current folder (``pspnet_trained.safetensors``,
    then ``pspnet_trained_2.safetensors``, ...), never over anything, nor a name whose
    default checkpoint (``runs/<stem>/last.pt``, an interrupted run's) exists. An existing
    ``--out`` (or its card) is refused without ``--overwrite``; nothing is ever
    written inside the installed ``app`` package. ValueError says why."""
    import app  # noqa: PLC0415
    from app.checkpoints.card import card_path_for  # noqa: PLC0415

    if out is None:
        folder = Path.cwd() if folder is None else folder
        stem, suffix = Path(DEFAULT_OUT_NAME).stem, Path(DEFAULT_OUT_NAME).suffix
        candidates = (folder / (f"{stem}{suffix}" if n == 1 else f"{stem}_{n}{suffix}") for n in range(1, 10_000))
        return next(p for p in candidates if not any(
            os.path.lexists(q) for q in (p, card_path_for(p), folder / default_checkpoint(p))))
    package = Path(app.__file__).resolve().parent
    if out.resolve().is_relative_to(package):
        raise ValueError(f"--out {out} is inside the installed app package ({package}); "
                         "choose a path outside it")
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; give the weights file to write, e.g. {out / DEFAULT_OUT_NAME}")
    if not overwrite:
        existing = [p for p in (out, card_path_for(out)) if os.path.lexists(p)]
        if existing:
            raise ValueError(f"{existing[0]} exists; it was kept. Use --overwrite to replace it "
                             "(and its card), or choose another --out")
    return out


def default_checkpoint(out: Path) -> Path:
    """``runs/<out stem>/last.pt``, relative to the current folder."""
    return Path("runs") / out.stem / "last.pt"


def check_checkpoint(checkpoint: Path, resume: Path | None, overwrite: bool) -> None:
    """ValueError when ``checkpoint`` holds another run's state: an interrupted run (its
    weights never written) leaves only that file, and the new run's first epoch replaced it."""
    if overwrite or not os.path.lexists(checkpoint):
        return
    if resume is not None and os.path.exists(resume) and os.path.samefile(resume, checkpoint):
        return  # continuing that very run
    raise ValueError(f"{checkpoint} holds the checkpoint of an earlier run; it was kept. Continue "
                     f"that run with --resume {checkpoint}, choose another --checkpoint, or use "
                     "--overwrite to replace it")


# Ranges of the numeric options: generous for real runs, but a typo (0, -1, 1e9)
# stops at once with the range instead of meaning a default or running for days.
MAX_EPOCHS = 10_000
MAX_BATCH = 1024
MAX_WIDTH = 512  # layer1 channels; 64 is the published ResNets' width
MAX_THREADS = 1024
MAX_WORKERS = 256
SIDES = (32, 4096)  # --crop, and generate's --size


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from app.training.recipe import Recipe  # noqa: PLC0415

    from app.training.data import MAX_SCENES, SEED_STRIDE  # noqa: PLC0415

    d = Recipe()
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--synthetic", type=bounded(int, 1, MAX_SCENES, "--synthetic"), metavar="N",
                     help=f"train on N generated scenes, 1 to {MAX_SCENES} (default {d.synthetic})")
    src.add_argument("--data", metavar="DIR", help="train on DIR/images + DIR/labels (255 = ignore)")
    parser.add_argument("--backbone", choices=["resnet18", "resnet34", "resnet50", "resnet101"], default=d.backbone,
                        help="dilated ResNet under the pyramid pooling module (default %(default)s)")
    parser.add_argument("--base-width", type=bounded(int, 1, MAX_WIDTH, "--base-width"), default=d.base_width,
                        help="layer1 width; 64 = the published widths (default %(default)s)")
    parser.add_argument("--epochs", type=bounded(int, 1, MAX_EPOCHS, "--epochs"), default=None,
                        help=f"epochs (default {d.epochs}); with --resume, a larger value extends the run")
    parser.add_argument("--batch-size", type=bounded(int, 1, MAX_BATCH, "--batch-size"), default=d.batch_size,
                        metavar="N", help=f"images per step, 1 to {MAX_BATCH} (default %(default)s)")
    parser.add_argument("--lr", type=bounded(float, 1e-8, 10.0, "--lr"), default=d.lr, metavar="RATE",
                        help="base learning rate of the poly schedule, after a short warm-up "
                             "(default %(default)s)")
    parser.add_argument("--optimizer", choices=["adamw", "sgd"], default=d.optimizer,
                        help="adamw, or sgd with momentum 0.9 as in the PSPNet paper (default %(default)s)")
    parser.add_argument("--crop", type=size(*SIDES, "--crop"), default=d.size, metavar="WxH",
                        help="training input size; generated scenes are made at this size, folder "
                             "images are resized to it (default %(default)s)")
    parser.add_argument("--input-scale", type=bounded(float, 0.25, 4.0, "--input-scale"), default=d.input_scale,
                        metavar="S",
                        help="the network sees the images resized by S (the card's protocols "
                             "then resize photos to S x the crop's long side; default %(default)s)")
    parser.add_argument("--low-res-epochs", type=bounded(int, 0, MAX_EPOCHS - 1, "--low-res-epochs"),
                        default=d.low_res_epochs, metavar="N",
                        help="train the first N epochs at scale 1 (cheaper), the rest at "
                             "--input-scale (progressive resizing; default %(default)s)")
    parser.add_argument("--context-dropout", type=bounded(float, 0.0, 0.99, "--context-dropout"),
                        default=d.context_dropout,
                        help="probability per image of zeroing the PPM's pooled branches in training")
    parser.add_argument("--val-count", type=bounded(int, 1, SEED_STRIDE, "--val-count"), default=d.val_count,
                        help="generated validation scenes")
    parser.add_argument("--test-count", type=bounded(int, 0, SEED_STRIDE, "--test-count"), default=d.test_count,
                        help="held-out generated scenes measured into the model card")
    parser.add_argument("--device", default=d.device, help="auto, cpu, cuda, cuda:1, mps")
    parser.add_argument("--threads", type=bounded(int, 0, MAX_THREADS, "--threads"), default=d.threads,
                        help="CPU threads for torch (0 = default)")
    parser.add_argument("--workers", type=bounded(int, 1, MAX_WORKERS, "--workers"), default=d.workers,
                        help="processes generating scenes")
    parser.add_argument("--seed", type=bounded(int, 0, 2**32 - 1, "--seed"), default=d.seed,
                        help="picks the generated scenes and the validation split, and seeds the "
                             "weights and the shuffling, so a run can be repeated (default %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output weights (.safetensors; the .json card goes beside it; default: a new "
                        f"{DEFAULT_OUT_NAME} in the current folder)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out, its card and its --checkpoint")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="resumable per-epoch checkpoint (default runs/<out stem>/last.pt)")
    parser.add_argument("--resume", type=Path, default=None, metavar="CKPT",
                        help="continue a run from its checkpoint (its recipe is used)")


def run(args: argparse.Namespace) -> int:
    from app.training.recipe import Recipe  # noqa: PLC0415
    from app.checkpoints import CheckpointError  # noqa: PLC0415
    from app.training.checkpoint import ResumeError  # noqa: PLC0415
    from app.training.data import DataError  # noqa: PLC0415
    from app.training.train import train  # noqa: PLC0415

    extend_to = args.epochs if args.resume else None
    args.epochs = args.epochs if args.epochs is not None else Recipe().epochs
    if args.low_res_epochs >= args.epochs:  # each range is checked by its argparse type
        print(f"train: --low-res-epochs must be below --epochs ({args.epochs})", file=sys.stderr)
        return EXIT_USAGE
    synthetic = args.synthetic if args.synthetic is not None else Recipe().synthetic
    recipe = Recipe(synthetic=None if args.data else synthetic,
                    data=args.data, val_count=args.val_count, test_count=0 if args.data else args.test_count,
                    size=args.crop, input_scale=args.input_scale,
                    low_res_epochs=args.low_res_epochs, backbone=args.backbone, base_width=args.base_width,
                    epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                    context_dropout=args.context_dropout, seed=args.seed, device=args.device,
                    threads=args.threads, workers=args.workers)
    try:
        args.out = plan_output(args.out, args.overwrite)
        checkpoint = args.checkpoint or default_checkpoint(args.out)
        check_checkpoint(checkpoint, args.resume, args.overwrite)
    except ValueError as exc:
        print(f"train: {exc}", file=sys.stderr)
        return EXIT_USAGE
    command = "python main.py train " + " ".join(shlex.quote(a) for a in sys.argv[2:]) \
        if len(sys.argv) > 1 and sys.argv[1] == "train" else "main.py train (called from Python)"
    try:
        train(recipe, args.out, checkpoint, command, resume=args.resume,
              log=lambda msg: print(msg, flush=True), extend_to=extend_to, overwrite=args.overwrite)
    except (DataError, ResumeError, CheckpointError, FloatingPointError) as exc:
        print(f"train: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a full disk while writing the checkpoint or the weights: every file is atomic
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"train: could not write{where}: {exc.strerror or exc}. The last finished epoch's checkpoint "
              f"({checkpoint}) is intact; free some space and continue with --resume {checkpoint}",
              file=sys.stderr)
        return EXIT_FAILED
    except ValueError as exc:
        print(f"train: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
