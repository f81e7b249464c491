"""``main.py evaluate --data DIR``: mIoU, mean accuracy and pixel accuracy, as the official code.

``DIR/images/`` and ``DIR/labels/`` pair by file stem; label values are class
indices and 255 is ignored (``--reduce-zero-label`` maps ADE20K's raw annotations:
0 -> 255, k -> k-1). Exit 0 when every image was evaluated, 1 when some could not
be (listed), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from app.cli import EXIT_OK, EXIT_SOME_FAILED, UsageError
from app.engine.binary_masks import BlackWhiteMasks
from app.cli.segment_cmd import (Progress, add_model_arguments, add_protocol_arguments, load_model,
                                 make_segmenter, protocol_settings)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="DIR", help="folder with images/ and labels/")
    add_model_arguments(parser)
    add_protocol_arguments(parser)
    parser.add_argument("--reduce-zero-label", action="store_true",
                        help="labels use 0 for 'other' (ADE20K raw): 0 -> ignore, k -> k-1")
    parser.add_argument("--report", metavar="FILE", help="also write the metrics as JSON")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --report file")


def check_report_path(report: str | None, overwrite: bool) -> None:
    """UsageError when ``--report`` names a folder, or a file that exists without ``--overwrite``."""
    if not report:
        return
    path = Path(report)
    if path.is_dir():
        raise UsageError(f"--report {report} is a folder; give the JSON file to write")
    if os.path.lexists(path) and not overwrite:
        raise UsageError(f"the report {report} exists; it was kept. Use --overwrite to replace it, "
                         "or choose another --report file")


def find_pairs(data: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(image, label) pairs by stem, and the images that have no label."""
    from app.engine.imageio import is_image_file  # noqa: PLC0415

    images_dir, labels_dir = data / "images", data / "labels"
    for folder in (images_dir, labels_dir):
        if not folder.is_dir():
            raise UsageError(f"{folder} does not exist; --data needs images/ and labels/ sub-folders")
    labels: dict[str, Path] = {}
    # Not only regular files: a FIFO named like an image is reported when read (imageio
    # refuses it at once) instead of vanishing from the evaluation.
    for p in sorted(labels_dir.iterdir()):
        if not p.is_dir() and is_image_file(p):
            labels.setdefault(p.stem, p)
    pairs, missing = [], []
    for image in sorted(p for p in images_dir.iterdir() if not p.is_dir() and is_image_file(p)):
        if image.stem in labels:
            pairs.append((image, labels[image.stem]))
        else:
            missing.append(f"{image}: no label {labels_dir / image.stem}.png")
    return pairs, missing


def read_label(path: Path, reduce_zero_label: bool, masks: BlackWhiteMasks | None = None) -> np.ndarray:
    """Class indices of a label image (8-bit palette or grayscale, or 16-bit grayscale);
    ImageReadError (a ValueError) names the file when it cannot be used. ``masks`` notes
    maps of only 0 and 255 (app.engine.binary_masks), before any reduction."""
    from app.engine.imageio import read_label_map  # noqa: PLC0415

    label = read_label_map(path, masks=masks).astype(np.int64)
    if reduce_zero_label:
        label = label.copy()
        label[label == 0] = 256
        label -= 1
        label[label == 254] = 255  # 255 stays ignored, as mmseg's reduce_zero_label
    return label


def run(args: argparse.Namespace) -> int:
    from app.engine.imageio import read_image  # noqa: PLC0415
    from app.engine.metrics import IoUAccumulator  # noqa: PLC0415

    check_report_path(args.report, args.overwrite)  # before the work: never lose it at the end
    pairs, failures = find_pairs(Path(args.data))
    if not pairs:
        raise UsageError(f"no image/label pairs found in {args.data}")
    loaded = load_model(args)
    settings = protocol_settings(args, loaded.meta)
    segmenter = make_segmenter(args, loaded)
    classes = loaded.meta.classes
    acc = IoUAccumulator(loaded.meta.num_classes, ignore_index=classes.ignore_index)
    print(f"evaluating {len(pairs)} image(s) with {loaded.meta.display_name} on {segmenter.device}, "
          f"protocol {settings.name}", file=sys.stderr)
    progress = Progress(len(pairs))
    started = time.perf_counter()
    evaluated = 0
    masks = BlackWhiteMasks()
    for index, (image_path, label_path) in enumerate(pairs, 1):
        try:
            label = read_label(label_path, args.reduce_zero_label, masks)
            image = read_image(image_path)
            if label.shape != image.shape[:2]:
                raise ValueError(f"{label_path}: label is {label.shape[1]}x{label.shape[0]} but the image "
                                 f"is {image.shape[1]}x{image.shape[0]}")
            result = segmenter.segment(image, settings)
            acc.add(result.labels, label)
            evaluated += 1
            status = "ok"
        except ValueError as exc:  # ImageReadError is a ValueError too
            failures.append(str(exc))
            status = f"failed: {exc}"
        progress.update(index, str(image_path), status)
    seconds = time.perf_counter() - started
    warnings = [w for w in (masks.warning(),) if w]
    for warning in warnings:  # before the figures it explains
        print(f"warning: {warning}", file=sys.stderr)
    if evaluated == 0:
        print("no image could be evaluated:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return EXIT_SOME_FAILED
    summary = acc.summary()
    iou, accuracy = acc.iou(), acc.accuracy()
    print(f"mIoU {summary['mIoU'] * 100:.2f}  mAcc {summary['mAcc'] * 100:.2f}  "
          f"allAcc {summary['allAcc'] * 100:.2f}  ({evaluated} images, {seconds:.1f} s)")
    print(f"{'class':>5}  {'name':<24} {'IoU':>7} {'Acc':>7} {'pixels':>12}")
    for i in range(acc.num_classes):
        name = classes.names[i] if i < len(classes) else f"class {i}"
        print(f"{i:>5}  {name[:24]:<24} {iou[i] * 100:7.2f} {accuracy[i] * 100:7.2f} {int(acc.target[i]):>12}")
    if args.report:
        report = {"model": loaded.meta.display_name, "weights": loaded.meta.source,
                  "protocol": settings.to_dict(), "reduce_zero_label": args.reduce_zero_label,
                  "images": evaluated, "seconds": round(seconds, 3), **summary,
                  "classes": [{"index": i, "name": classes.names[i] if i < len(classes) else f"class {i}",
                               "iou": float(iou[i]), "accuracy": float(accuracy[i]),
                               "target_pixels": int(acc.target[i])} for i in range(acc.num_classes)],
                  "warnings": warnings, "failures": failures}
        try:
            from app.engine.writers import write_bytes  # noqa: PLC0415
            write_bytes(Path(args.report), json.dumps(report, indent=2).encode("utf-8"), overwrite=args.overwrite)
        except OSError as exc:
            raise UsageError(f"cannot write the report {args.report}: {exc}") from None
    if failures:
        print(f"{len(failures)} image(s) not evaluated:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_OK
