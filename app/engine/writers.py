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
import threading
import unicodedata
from pathlib import Path
from typing import IO, Any, Callable, Iterable, cast

import numpy as np
from PIL import Image

from app.classes import ClassInfo
from app.engine.cancel import check_cancel
from app.engine.histogram import class_counts
from app.engine.result import Cancelled, SegmentationResult
from app.fileio import atomic_path, discard, publish, temp_path_beside

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
        # frombuffer reads the labels in place (frombytes would hold two more copies of them)
        im = Image.frombuffer("P", (width, height), np.ascontiguousarray(labels), "raw", "P", 0, 1)
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
                  source: str, model: dict[str, Any], overwrite: bool = False,
                  cancel: threading.Event | None = None) -> list[Path]:
    """Write the requested files of one image; existing ones are kept unless ``overwrite``.

    Each file is encoded into a temporary beside it, and all of them are renamed into
    place at the end. ``cancel`` is checked between rows of the colour and overlay
    images and between the encoder's blocks of output: on ``Cancelled`` every temporary
    is removed and no file of this image is written (a later run redoes it whole). On
    any other error the files already finished are still put in place (a rerun adopts
    them) and the error is raised.
    """
    todo = {fmt: p for fmt, p in paths.items() if overwrite or not p.exists()}
    finished: list[tuple[Path, Path]] = []  # (temporary, target), encoded completely
    try:
        for fmt, target in todo.items():
            check_cancel(cancel)
            finished.append((_encode(fmt, target, image, result, classes, source, model, paths, overwrite,
                                     cancel), target))
        check_cancel(cancel)
    except Cancelled:
        for temp, _target in finished:
            discard(temp)
        raise
    except BaseException:
        for temp, target in finished:
            _publish_or_discard(temp, target, overwrite)
        raise
    for temp, target in finished:
        publish(temp, target, overwrite)
    return list(todo.values())


def _publish_or_discard(temp: Path, target: Path, overwrite: bool) -> None:
    try:
        publish(temp, target, overwrite)
    except OSError:
        discard(temp)


class _CancellableFile:
    """A write-only file that raises ``Cancelled`` at the next block once ``cancel`` is set.

    It has no ``fileno``, so PIL's encoders hand it their output block by block (64 KB)
    instead of writing to the descriptor from C, where nothing could stop them."""

    def __init__(self, handle: io.BufferedWriter, cancel: threading.Event | None) -> None:
        self._handle, self._cancel = handle, cancel

    def write(self, data: bytes) -> int:
        check_cancel(self._cancel)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()


def _encode(fmt: str, target: Path, image: np.ndarray, result: SegmentationResult, classes: ClassInfo,
            source: str, model: dict[str, Any], paths: dict[str, Path], overwrite: bool,
            cancel: threading.Event | None) -> Path:
    """One output encoded into a new temporary beside ``target``; the temporary's path."""
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; not overwriting it (use overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_beside(target)
    try:
        with open(temp, "wb") as raw:
            handle = cast(IO[bytes], _CancellableFile(raw, cancel))  # PIL needs only write and flush
            if fmt == "label":
                label_image(result.labels, classes).save(handle, format="PNG", **PNG_SPEED)
            elif fmt == "color":
                _by_rows(lambda top, bottom: color_image(result.labels[top:bottom], classes),
                         result.labels.shape, cancel).save(handle, format="PNG", **PNG_SPEED)
            elif fmt == "overlay":
                _by_rows(lambda top, bottom: overlay_image(image[top:bottom], result.labels[top:bottom], classes),
                         result.labels.shape, cancel).save(handle, format="JPEG", quality=90)
            else:
                names = {f: p.name for f, p in paths.items()}
                record = image_record(result, classes, source, model, names)
                handle.write(json.dumps(record, indent=2).encode("utf-8"))
    except BaseException:
        discard(temp)
        raise
    return temp


# Rows of an RGB output made at a time (about 4 MB of uint8 per band, the overlay's float
# temporaries a few times that), so no whole-photo colour or float blend exists beside
# PIL's own copy of the picture.
BAND_BYTES = 4 << 20


def _by_rows(band: Callable[[int, int], np.ndarray], shape: tuple[int, ...],
             cancel: threading.Event | None) -> Image.Image:
    """An RGB PIL image of ``shape`` (H, W) filled band by band from ``band(top, bottom)``."""
    height, width = shape[:2]
    picture = Image.new("RGB", (width, height))
    step = max(1, BAND_BYTES // max(1, 3 * width))
    for top in range(0, height, step):
        check_cancel(cancel)
        bottom = min(height, top + step)
        picture.paste(Image.fromarray(np.ascontiguousarray(band(top, bottom))), (0, top))
    return picture


def cvat_labelmap(classes: ClassInfo) -> str:
    """CVAT 'Segmentation mask' labelmap.txt: ``name:r,g,b::`` per class, one line each, named
    by ``labelmap_names`` so that CVAT/datumaro and this app read back the same class list."""
    lines = ["# label:color_rgb:parts:actions"]
    for name, (r, g, b) in zip(labelmap_names(classes.names), classes.colors):
        lines.append(f"{name}:{r},{g},{b}::")
    return "\n".join(lines) + "\n"


def _line_safe(name: str) -> str:
    """``name`` with nothing a line of labelmap.txt cannot hold (see labelmap_names)."""
    kept = "".join(" " if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") else c
                   for c in name).strip().replace(":", "_")
    return ("_" + kept if kept.startswith("#") else kept) or "unnamed"


def labelmap_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names ``cvat_labelmap`` writes, one per class and in order. A line of labelmap.txt
    is stripped, read as a comment when it starts with '#', split at ':' (datumaro), cut at
    any line break (this app's reader also at U+2028 and the like), and datumaro refuses a
    file that names a label twice. So, and only where needed:

    - control characters and line or paragraph separators become a space;
    - leading and trailing white space is dropped;
    - ':' becomes '_';
    - a name starting with '#' gets a leading '_';
    - an empty name becomes 'unnamed';
    - a name already written gets the first free '_2', '_3', ... suffix.

    Names a line holds as they are (any other letter, digit, symbol or space) are kept."""
    safe = [_line_safe(name) for name in names]
    kept = set(safe)  # a repeat's new name is never one that another class has
    taken: set[str] = set()
    out = []
    for name in safe:
        if name in taken:
            number = 2
            while f"{name}_{number}" in taken or f"{name}_{number}" in kept:
                number += 1
            name = f"{name}_{number}"
        taken.add(name)
        out.append(name)
    return tuple(out)


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
