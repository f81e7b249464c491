"""CVAT "Segmentation mask 1.1": ``labelmap.txt``, colour masks, ``ImageSets/Segmentation/default.txt``.

The label map starts with ``background:0,0,0::`` (CVAT requires it, #6269) and
declares every class with its colour (an undeclared colour fails the import,
#6830). CVAT has no ignore: ignore (255) pixels are painted ``background``, and
an import turns ``background`` back into 255, so the round trip is lossless.
A model class named ``background`` is CVAT's background itself; ignore pixels
then merge into it (a note counts them). Colours are made unique, black being
background's. Photos go to ``JPEGImages/`` when the run names them. Datumaro
reads the layout as ``voc_segmentation``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.classes import ClassInfo
from app.engine.imageio import ImageReadError, read_image
from app.engine.writers import cvat_labelmap
from app.interchange.checks import read_text_file
from app.interchange.dataset import SourceDataset, png_bytes
from app.interchange.destination import Staging
from app.interchange.mapping import BLACK, TargetClasses, distinct_colors
from app.interchange.run_folder import IGNORE, ExportError, ItemError, LoadedItem, read_labelmap

BACKGROUND = "background"
SEGMENTATION = "SegmentationClass"
IMAGE_SET = "ImageSets/Segmentation/default.txt"


class Writer:
    def __init__(self, staging: Staging, targets: TargetClasses) -> None:
        self.staging = staging
        self.names: list[str] = []
        classes = targets.classes
        ids = targets.used_ids
        own_background = [i for i in ids if classes.names[i].lower() == BACKGROUND]
        self.background_id = own_background[0] if own_background else None
        others = [i for i in ids if i != self.background_id]
        colors, changed = distinct_colors([classes.colors[i] for i in others], {BLACK})
        self.notes = [f"colour of {classes.names[others[k]]!r} changed to {colors[k]} (colours must be "
                      "unique and black is background's)" for k in changed]
        self.declared = ClassInfo((BACKGROUND, *(classes.names[i] for i in others)), (BLACK, *colors))
        self.lut = np.zeros((max(len(classes), IGNORE + 1), 3), dtype=np.uint8)  # ignore -> black
        for i, c in zip(others, colors):
            self.lut[i] = c
        self.ignored_pixels = 0

    def add(self, item: LoadedItem, labels: np.ndarray) -> None:
        if self.background_id is not None:
            self.ignored_pixels += int(np.count_nonzero(labels == IGNORE))
        # the photo first: when it cannot be copied (ItemError) the item leaves no mask behind
        self.staging.copy_photo(f"JPEGImages/{item.name}", item.image_path, item.image)
        self.staging.write_bytes(f"{SEGMENTATION}/{item.name}.png", png_bytes(self.lut[labels]))
        self.names.append(item.name)

    def finish(self) -> list[str]:
        self.staging.write_text("labelmap.txt", cvat_labelmap(self.declared))
        self.staging.write_text(IMAGE_SET, "".join(f"{n}\n" for n in self.names))
        if self.ignored_pixels:
            self.notes.append(f"{self.ignored_pixels} ignore (255) pixel(s) were exported as the "
                              "model's own background class")
        return self.notes


def colors_to_indices(rgb: np.ndarray, colors: list[tuple[int, int, int]], path: Path) -> np.ndarray:
    """(H, W) indices of an RGB mask's colours in ``colors``; ItemError names an undeclared colour."""
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    keys = np.array([(r << 16) | (g << 8) | b for r, g, b in colors], dtype=np.uint32)
    values, inverse = np.unique(packed, return_inverse=True)
    lookup = np.empty(len(values), dtype=np.uint16)
    for k, v in enumerate(values):
        hit = np.flatnonzero(keys == v)
        if hit.size == 0:
            raise ItemError(f"{path}: colour {(int(v) >> 16, (int(v) >> 8) & 255, int(v) & 255)} is not "
                            "declared in labelmap.txt")
        lookup[k] = hit[0]
    out = lookup[inverse].reshape(packed.shape)
    return out.astype(np.uint8) if len(colors) <= IGNORE else out


def read_mask(path: Path, colors: list[tuple[int, int, int]]) -> np.ndarray:
    """Label values of a colour mask, read through the project's image reader."""
    try:
        rgb = read_image(path)
    except ImageReadError as exc:
        raise ItemError(str(exc)) from None
    return colors_to_indices(rgb, colors, path)


def read_dataset(src: Path) -> SourceDataset:
    """A CVAT "Segmentation mask" folder: label names in labelmap order, colour masks decoded."""
    classes = read_labelmap(src / "labelmap.txt")
    masks_dir = src / SEGMENTATION
    if not masks_dir.is_dir():
        raise ExportError(f"{src}: no {SEGMENTATION}/ folder; not a CVAT segmentation mask export")
    listed = src / IMAGE_SET
    if listed.is_file():
        names = [n.strip() for n in read_text_file(listed, error=ExportError).splitlines() if n.strip()]
    else:
        names = sorted(p.relative_to(masks_dir).with_suffix("").as_posix() for p in masks_dir.rglob("*.png"))
    colors = list(classes.colors)

    def loader(name: str):
        return lambda: read_mask(masks_dir / f"{name}.png", colors)

    return SourceDataset(list(classes.names), colors, [(n, loader(n)) for n in names], {BACKGROUND})
