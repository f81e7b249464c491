"""Reading class-index label PNGs and a run's class list (``labelmap.txt``), with clear errors.

A label map is an 8-bit palette or grayscale PNG (16-bit grayscale past 256 classes)
whose pixel values are class indices; 255 means ignore. A 1-bit mask reads as classes 0
and 1. A colour mask (RGB) is not a label map: its colours would have to be guessed back
into classes, so it is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.classes import ClassInfo
from app.engine.binary_masks import BlackWhiteMasks
from app.engine.file_kinds import FileTooLargeError, NotRegularFileError, read_regular_bytes
from app.engine.imageio import ImageReadError, read_label_map
# One limit for what a NAME.json record may be, the ledger's: a record lists every class
# present, ~150 bytes each, so a 16-bit map's record reaches ~9 MB at 65536 classes.
from app.engine.ledger_states import read_record  # read_record: the one reader of records

IGNORE = 255
LABELMAP_NAME = "labelmap.txt"
LABELMAP_LIMIT_BYTES = 16 * 1024 * 1024  # 65536 classes of long names fit several times over


class LabelFileError(ValueError):
    """A label file or class list cannot be used; the message is meant for the user."""


def read_label_file(path: Path, masks: BlackWhiteMasks | None = None) -> np.ndarray:
    """(H, W) class indices of a label file, through the project's one reader
    (app.engine.imageio.read_label_map); LabelFileError with its message otherwise.
    ``masks`` notes maps of only 0 and 255 (app.engine.binary_masks)."""
    try:
        return read_label_map(path, masks=masks)
    except ImageReadError as exc:
        raise LabelFileError(str(exc)) from None


def parse_labelmap(text: str, source: str = LABELMAP_NAME) -> ClassInfo:
    """CVAT "Segmentation mask" ``labelmap.txt``: ``name:R,G,B:parts:actions`` per class, in index order."""
    names: list[str] = []
    colors: list[tuple[int, int, int]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        if len(fields) < 2:
            raise LabelFileError(f"{source} line {number}: expected name:R,G,B::, got {raw!r}")
        try:
            rgb = tuple(int(v) for v in fields[1].split(","))
        except ValueError:
            raise LabelFileError(f"{source} line {number}: colour {fields[1]!r} is not R,G,B") from None
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise LabelFileError(f"{source} line {number}: colour {fields[1]!r} is not three values 0-255")
        names.append(fields[0])
        colors.append(rgb)
    if not names:
        raise LabelFileError(f"{source}: no classes in it")
    return ClassInfo(tuple(names), tuple(colors), dataset="custom", title=f"from {source}")


def read_labelmap(folder: Path) -> ClassInfo | None:
    """The class list of a label folder, or None when it has no ``labelmap.txt``."""
    return read_labelmap_file(Path(folder) / LABELMAP_NAME)


def read_labelmap_file(path: Path) -> ClassInfo | None:
    """The classes of the ``labelmap.txt`` at ``path``, or None when there is no file there;
    LabelFileError when there is one that cannot be used (also a FIFO or a device: what it
    is is named, it is never taken for no file)."""
    path = Path(path)
    try:  # one open, as a regular file only: a FIFO swapped in after a check would block
        text = read_regular_bytes(path, LABELMAP_LIMIT_BYTES).decode("utf-8")
    except FileNotFoundError:
        return None
    except NotRegularFileError as exc:
        raise LabelFileError(f"{path}: is {exc.kind}, not a regular file; only regular files are read") from None
    except FileTooLargeError as exc:
        raise LabelFileError(f"{path}: the file is {exc.size / 2**20:.0f} MB, more than the "
                             f"{exc.limit / 2**20:.0f} MB a class list may be") from None
    except UnicodeDecodeError as exc:
        raise LabelFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise LabelFileError(f"{path}: could not read it ({exc.strerror or exc})") from None
    return parse_labelmap(text, str(path))


def check_label_map(labels: np.ndarray, image_size: tuple[int, int], num_classes: int,
                    label_path: Path, ignore: int = IGNORE) -> np.ndarray:
    """Pixels per class (length ``num_classes``), or LabelFileError naming the mismatch."""
    from app.engine.histogram import class_counts

    height, width = image_size
    if labels.shape != (height, width):
        raise LabelFileError(f"{label_path.name} is {labels.shape[1]}x{labels.shape[0]} but its image is "
                             f"{width}x{height}; not shown (labels of another size are not stretched)")
    counts = class_counts(labels, num_classes)
    extra = counts[num_classes:].copy()
    if ignore < len(extra) + num_classes and ignore >= num_classes:
        extra[ignore - num_classes] = 0
    if extra.any():
        beyond = [num_classes + int(i) for i in np.flatnonzero(extra)]
        shown = ", ".join(str(v) for v in beyond[:5]) + (", ..." if len(beyond) > 5 else "")
        raise LabelFileError(f"{label_path.name} holds class values {shown} but the class list has "
                             f"{num_classes} classes (0-{num_classes - 1}, {ignore} = ignore); not shown")
    return counts[:num_classes]


def read_checked_labels(label_path: Path, image_size: tuple[int, int], num_classes: int,
                        masks: BlackWhiteMasks | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The label map of an image of ``image_size`` (H, W) and its pixels per class, checked
    against the class list; LabelFileError when it cannot be used as it is. ``masks``: one
    per label folder, its ``take_warning`` the sentence to show once."""
    labels = read_label_file(label_path, masks)
    return labels, check_label_map(labels, image_size, num_classes, Path(label_path))


def record_class_names(record: Path) -> dict[int, str]:
    """Class index -> name from a record ({} when absent or unusable)."""
    entries = (read_record(record) or {}).get("classes", [])
    try:
        return {int(e["index"]): str(e["name"]) for e in entries if isinstance(e, dict)}
    except (KeyError, TypeError, ValueError):
        return {}


def check_record_classes(names: dict[int, str], classes: ClassInfo, record: Path) -> str | None:
    """A sentence when the record's class names disagree with ``classes`` (the labels then mean
    other classes than the ones they would be shown as), else None."""
    differ = [(i, n) for i, n in sorted(names.items()) if i < len(classes) and classes.names[i] != n]
    if not differ:
        return None
    index, name = differ[0]
    return (f"{record.name} says class {index} is {name!r} but the class list calls it "
            f"{classes.names[index]!r} ({len(differ)} such classes): its labels were made with other classes; "
            "not shown. Load the model that made them, or put its labelmap.txt beside them.")
