"""Reading a run folder: what ``segment``, Label Folder and edited labels leave behind.

A run folder holds ``labelmap.txt`` (the model's classes, CVAT style: ``name:R,G,B::``
in class-index order), one ``NAME.png`` label map per image (8-bit palette PNG of
class indices, 16-bit grayscale past 256 classes, 255 = ignore), ``NAME.json``
naming the source photo, and the run's ``summary.json``/``summary.csv``.
Sub-folders of a ``--recursive`` run are mirrored, so items are named by their
path relative to the folder (``sub/photo``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.classes import ClassInfo
from app.engine.imageio import ImageReadError, read_image, read_label_map
from app.interchange.checks import ExportError, ItemError, read_text_file
from app.labels.label_files import LabelFileError, read_labelmap_file

LABELMAP = "labelmap.txt"
IGNORE = 255
COLOR_SUFFIX = "_color.png"  # the colour rendering beside a label map


@dataclass(frozen=True)
class RunItem:
    name: str                 # relative stem with '/' separators: "sub/photo"
    label_path: Path
    image_path: Path | None   # the source photo, when it can be found


@dataclass(frozen=True)
class RunFolder:
    root: Path
    classes: ClassInfo
    items: list[RunItem]


def read_labelmap(path: Path) -> ClassInfo:
    """Classes of a CVAT/datumaro ``labelmap.txt``, in file order; ExportError without one."""
    classes = read_labelmap_if_any(path)
    if classes is None:
        raise ExportError(f"{path}: file not found")
    return classes


def read_labelmap_if_any(path: Path) -> ClassInfo | None:
    """The classes of ``path``, None when there is no file there; ExportError for one that cannot
    be used (a FIFO is named, never taken for none). Read by the label folders' own reader."""
    try:
        return read_labelmap_file(path)
    except LabelFileError as exc:
        raise ExportError(str(exc)) from None


def _source_photo(json_path: Path, root: Path) -> Path | None:
    """The photo ``NAME.json`` names, as given, else relative to the run folder."""
    if not json_path.is_file():
        return None
    try:
        record = json.loads(read_text_file(json_path))
        source = Path(str(record["image"]["path"]))
    except (ValueError, KeyError, TypeError):
        return None
    for candidate in (source, root / source, root.parent / source):
        if candidate.is_file():
            return candidate
    return None


def _is_colour_rendering(path: Path) -> bool:
    """``x_color.png`` beside ``x.png`` is x's colour mask; a lone ``sunset_color.png`` is the
    label map of a photo named sunset_color."""
    return path.name.endswith(COLOR_SUFFIX) and path.with_name(path.name[: -len(COLOR_SUFFIX)] + ".png").is_file()


def open_run_folder(root: str | Path) -> RunFolder:
    """The classes and label maps of a run folder; ExportError if it is not one."""
    root = Path(root)
    if not root.is_dir():
        raise ExportError(f"{root}: not a folder; expected the output folder of `segment` or Label Folder")
    classes = read_labelmap_if_any(root / LABELMAP)
    if classes is None:
        raise ExportError(f"{root}: no {LABELMAP}; expected the output folder of `segment` or Label "
                          "Folder (it writes labelmap.txt with the model's classes)")
    items: list[RunItem] = []
    for path in sorted(root.rglob("*.png")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or _is_colour_rendering(path):
            continue
        name = rel.with_suffix("").as_posix()
        items.append(RunItem(name, path, _source_photo(path.with_suffix(".json"), root)))
    if not items:
        raise ExportError(f"{root}: no label maps (NAME.png) found")
    return RunFolder(root, classes, items)


def read_labels(path: Path) -> np.ndarray:
    """(H, W) class indices of a label PNG, through the project's one reader; ItemError otherwise."""
    try:
        return read_label_map(path)
    except ImageReadError as exc:
        raise ItemError(str(exc)) from None


def check_values(labels: np.ndarray, num_classes: int, path: Path | str) -> None:
    """ItemError naming the values that are neither a class index nor 255 (ignore)."""
    bad = (labels >= num_classes) & (labels != IGNORE)
    if bad.any():
        values = np.unique(labels[bad])
        shown = ", ".join(str(int(v)) for v in values[:5]) + (", ..." if len(values) > 5 else "")
        raise ItemError(f"{path}: value(s) {shown} in {int(bad.sum())} pixel(s) are not class indices "
                        f"(0-{num_classes - 1}) nor {IGNORE} (ignore)")


@dataclass(frozen=True)
class LoadedItem:
    name: str
    labels: np.ndarray               # (H, W) class indices, 255 = ignore
    image: np.ndarray | None         # (H, W, 3) RGB of the source photo, None if not found
    image_path: Path | None


def load_item(item: RunItem, num_classes: int) -> LoadedItem:
    """The item's checked label map and its photo (read through the project's reader)."""
    labels = read_labels(item.label_path)
    check_values(labels, num_classes, item.label_path)
    image = None
    if item.image_path is not None:
        try:
            image = read_image(item.image_path)
        except ImageReadError as exc:
            raise ItemError(str(exc)) from None
        if image.shape[:2] != labels.shape:
            raise ItemError(f"{item.label_path}: label map is {labels.shape[1]}x{labels.shape[0]} but "
                            f"its image {item.image_path} is {image.shape[1]}x{image.shape[0]}")
    return LoadedItem(item.name, labels, image, item.image_path)
