"""The files a segmentation run writes, identical from the CLI and the GUI.

Per image ``NAME``: ``NAME.png`` (label map: 8-bit palette PNG whose pixel values
are class indices and whose palette is the class colours; 16-bit grayscale past
256 classes), ``NAME_color.png``, ``NAME_overlay.jpg`` and ``NAME.json``. Per run:
``labelmap.txt`` (CVAT "Segmentation mask" format), ``summary.json`` and
``summary.csv``. Every file is written to a temporary name in the same folder
and renamed into place, so a crash or cancel never leaves a half-written file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
from PIL import Image

from app.classes import ClassInfo
from app.engine.histogram import class_counts
from app.engine.result import SegmentationResult
from app.fileio import atomic_path

OUTPUT_FORMATS: tuple[str, ...] = ("label", "color", "overlay", "json")
SUFFIXES = {"label": ".png", "color": "_color.png", "overlay": "_overlay.jpg", "json": ".json"}
OVERLAY_ALPHA = 0.5
# ignore (255) in the colour image and the overlay: the class lists (app.classes) define no
# colour for it. Black, unless a class is black (VOC's background): then VOC's own colour
# for its ignore value ("void", the outlines of its colour masks).
UNLABELLED_COLOR = (0, 0, 0)
VOID_COLOR = (224, 224, 192)
RUN_FILES = ("labelmap.txt", "summary.json", "summary.csv")


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """'label,color' -> ('label', 'color'), in canonical order; ValueError names bad entries."""
    items = [t.strip().lower() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    unknown = sorted(set(items) - set(OUTPUT_FORMATS))
    if unknown or not items:
        raise ValueError(f"unknown output format(s) {', '.join(unknown) or '(none)'}; "
                         f"choose from {','.join(OUTPUT_FORMATS)}")
    return tuple(f for f in OUTPUT_FORMATS if f in items)


def output_paths(stem: Path, formats: Iterable[str]) -> dict[str, Path]:
    """``stem`` is the output path without suffix (``out/photo``)."""
    return {fmt: stem.with_name(stem.name + SUFFIXES[fmt]) for fmt in formats}


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], None], overwrite: bool = False) -> None:
    """Write through a temporary file in ``path``'s folder, then rename it into place."""
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; not overwriting it (use overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, overwrite) as temp, open(temp, "wb") as handle:
        write(handle)


def write_bytes(path: Path, data: bytes, overwrite: bool = False) -> None:
    def write(handle: io.BufferedWriter) -> None:
        handle.write(data)

    atomic_write(path, write, overwrite)


def label_image(labels: np.ndarray, classes: ClassInfo) -> Image.Image:
    """Palette PNG image of class indices (16-bit grayscale past 256 classes)."""
    height, width = labels.shape
    if len(classes) <= 256 and labels.dtype == np.uint8:
        im = Image.frombytes("P", (width, height), np.ascontiguousarray(labels).tobytes())
        palette = np.zeros((256, 3), dtype=np.uint8)
        palette[: len(classes)] = classes.palette
        im.putpalette(palette.reshape(-1).tolist())
        return im
    return Image.frombytes("I;16", (width, height), labels.astype("<u2").tobytes())


def unlabelled_color(classes: ClassInfo) -> tuple[int, int, int]:
    """The colour of ignore (255) and of any value outside the class list."""
    black = bool((classes.palette == np.asarray(UNLABELLED_COLOR, np.uint8)).all(axis=1).any())
    return VOID_COLOR if black else UNLABELLED_COLOR


def color_image(labels: np.ndarray, classes: ClassInfo) -> np.ndarray:
    """(H, W, 3) uint8: each pixel in its class's colour, ignore (255) and other values outside
    the class list in ``unlabelled_color`` (not the last class's colour)."""
    palette = np.concatenate([classes.palette, np.asarray([unlabelled_color(classes)], np.uint8)])
    return palette[np.minimum(labels, len(palette) - 1)]


def overlay_image(image: np.ndarray, labels: np.ndarray, classes: ClassInfo,
                  alpha: float = OVERLAY_ALPHA) -> np.ndarray:
    blend = image.astype(np.float32) * (1 - alpha) + color_image(labels, classes).astype(np.float32) * alpha
    return np.clip(blend + 0.5, 0, 255).astype(np.uint8)


# zlib level 1: a 3000x4000 label map writes in a quarter of the default level's (6) time,
# about 40% larger (measured: 189 vs 784 ms, 653 vs 471 KiB); for big photos the default
# level made PNG writing a large part of a segment run.
PNG_SPEED = {"compress_level": 1}


def _save(im: Image.Image, fmt: str, **options: Any) -> Callable[[io.BufferedWriter], None]:
    return lambda handle: im.save(handle, format=fmt, **options)


def image_record(result: SegmentationResult, classes: ClassInfo, source: str, model: dict[str, Any],
                 outputs: dict[str, str]) -> dict[str, Any]:
    """What ``NAME.json`` holds: size, model, protocol, per-class fraction and confidence, timing."""
    counts = result.class_counts
    conf_sum = class_counts(result.labels, len(counts), weights=result.confidence)[: len(counts)]
    total = max(int(counts.sum()), 1)
    present = [{"index": i, "name": classes.names[i] if i < len(classes) else f"class {i}",
                "pixels": int(counts[i]), "fraction": round(float(counts[i]) / total, 6),
                "mean_confidence": round(float(conf_sum[i] / counts[i]), 6)} for i in result.present_classes()]
    height, width = result.size
    return {"image": {"path": source, "width": width, "height": height}, "model": model,
            "protocol": result.protocol.to_dict(), "device": result.device,
            "seconds": round(result.seconds, 4), "network_input_size": list(result.input_size or ()),
            "mean_confidence": round(float(result.confidence.mean()), 6), "classes": present,
            "notes": list(result.notes), "outputs": outputs}


def write_outputs(paths: dict[str, Path], image: np.ndarray, result: SegmentationResult, classes: ClassInfo,
                  source: str, model: dict[str, Any], overwrite: bool = False) -> list[Path]:
    """Write the requested files of one image; existing ones are kept unless ``overwrite``."""
    written: list[Path] = []
    todo = {fmt: p for fmt, p in paths.items() if overwrite or not p.exists()}
    if "label" in todo:
        atomic_write(todo["label"], _save(label_image(result.labels, classes), "PNG", **PNG_SPEED), overwrite)
    if "color" in todo:
        atomic_write(todo["color"], _save(Image.fromarray(color_image(result.labels, classes)), "PNG",
                                           **PNG_SPEED), overwrite)
    if "overlay" in todo:
        over = Image.fromarray(overlay_image(image, result.labels, classes))
        atomic_write(todo["overlay"], _save(over, "JPEG", quality=90), overwrite)
    if "json" in todo:
        names = {fmt: p.name for fmt, p in paths.items()}
        record = image_record(result, classes, source, model, names)
        write_bytes(todo["json"], json.dumps(record, indent=2).encode("utf-8"), overwrite)
    written.extend(todo.values())
    return written


def cvat_labelmap(classes: ClassInfo) -> str:
    """CVAT 'Segmentation mask' labelmap.txt: ``name:r,g,b::`` per class."""
    lines = ["# label:color_rgb:parts:actions"]
    for name, (r, g, b) in zip(classes.names, classes.colors):
        lines.append(f"{name.replace(':', '_')}:{r},{g},{b}::")
    return "\n".join(lines) + "\n"


SUMMARY_COLUMNS = ("input", "status", "seconds", "classes", "error", "outputs")


def summary_csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for rec in records:
        writer.writerow([rec["input"], rec["status"], f"{rec['seconds']:.3f}", ";".join(rec["classes"]),
                         rec["error"], ";".join(rec["outputs"])])
    return buffer.getvalue()


def write_run_files(out_dir: Path, classes: ClassInfo, summary: dict[str, Any]) -> None:
    """labelmap.txt, summary.json and summary.csv of a run (replaced on every run)."""
    write_bytes(out_dir / "labelmap.txt", cvat_labelmap(classes).encode("utf-8"), overwrite=True)
    write_bytes(out_dir / "summary.json", json.dumps(summary, indent=2).encode("utf-8"), overwrite=True)
    write_bytes(out_dir / "summary.csv", summary_csv(summary["files"]).encode("utf-8"), overwrite=True)
