"""Pascal VOC segmentation: ``JPEGImages/``, ``SegmentationClass/`` palette PNGs, ``ImageSets``.

Pixel values are the class ids (the model's, or the mapping's), 255 stays VOC's
void/ignore; the palette holds the model's colours at their ids and VOC's void
colour (224, 224, 192) at 255. ``labelmap.txt`` names every id in order (the
position is the id), so datumaro's ``voc_segmentation`` importer, which maps
colours back to labels, recovers the ids. When some map holds ignore pixels the
label map ends with ``ignored:224,224,192::`` (datumaro's name for VOC's 255):
datumaro only knows void's colour for VOC's own 21 classes and would otherwise
refuse the masks ("Undeclared color"). Training readers (torchvision,
mmsegmentation) read the indices and treat 255 as ignore.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.classes import ClassInfo, dataset_classes
from app.engine.binary_masks import BlackWhiteMasks
from app.engine.imageio import ImageReadError, read_image, read_label_map
from app.engine.writers import cvat_labelmap, label_image
from app.interchange.cvat_mask import IMAGE_SET, SEGMENTATION, colors_to_indices
from app.interchange.checks import read_text_file
from app.interchange.dataset import SourceDataset, png_bytes
from app.interchange.destination import Staging
from app.interchange.mapping import VOID_COLOR, TargetClasses, distinct_colors
from app.interchange.run_folder import (IGNORE, ExportError, ItemError, LoadedItem,
                                        read_labelmap_if_any)


IGNORED = "ignored"  # datumaro's VocLabel name of 255


class Writer:
    def __init__(self, staging: Staging, targets: TargetClasses) -> None:
        classes = targets.classes
        if len(classes) > IGNORE:
            raise ExportError(f"VOC palette PNGs hold at most {IGNORE} classes (255 is void); the "
                              f"model has {len(classes)}")
        self.staging = staging
        self.names: list[str] = []
        colors, changed = distinct_colors(list(classes.colors), {VOID_COLOR})
        self.notes = [f"colour of {classes.names[k]!r} changed to {colors[k]} (colours must be unique "
                      f"and {VOID_COLOR} is void's)" for k in changed if targets.used[k]]
        self.classes = classes
        self.declared = ClassInfo(classes.names, tuple(colors))
        self.has_ignore = False
        palette = np.zeros((256, 3), dtype=np.uint8)
        palette[: len(colors)] = colors
        palette[IGNORE] = VOID_COLOR
        self.palette = palette.reshape(-1).tolist()

    def add(self, item: LoadedItem, labels: np.ndarray) -> None:
        im = label_image(labels.astype(np.uint8), self.classes)
        im.putpalette(self.palette)  # the classes' colours made unique, and void's at 255
        # the photo first: when it cannot be copied (ItemError) the item leaves no mask behind
        self.staging.copy_photo(f"JPEGImages/{item.name}", item.image_path, item.image, jpeg_only=True)
        self.staging.write_bytes(f"{SEGMENTATION}/{item.name}.png", png_bytes(im))
        self.names.append(item.name)
        self.has_ignore = self.has_ignore or bool((labels == IGNORE).any())

    def finish(self) -> list[str]:
        declared = self.declared
        if self.has_ignore:
            declared = ClassInfo((*declared.names, IGNORED), (*declared.colors, VOID_COLOR))
        self.staging.write_text("labelmap.txt", cvat_labelmap(declared))
        self.staging.write_text(IMAGE_SET, "".join(f"{n}\n" for n in self.names))
        return self.notes


def read_mask(path: Path, colors: list[tuple[int, int, int]], masks: BlackWhiteMasks | None = None
              ) -> np.ndarray:
    """Class ids of a VOC mask: palette indices as they are, an RGB mask through the colours."""
    try:
        return read_label_map(path, masks=masks)
    except ImageReadError as exc:
        refusal = str(exc)
    try:
        rgb = read_image(path)  # a colour mask (other tools write them)
    except ImageReadError:
        raise ItemError(refusal) from None
    labels = colors_to_indices(rgb, [*colors, VOID_COLOR], path)
    labels[labels == len(colors)] = IGNORE
    return labels


def read_dataset(src: Path) -> SourceDataset:
    """A VOC folder; its ``labelmap.txt`` names the ids, else VOC's own 21 classes."""
    masks_dir = src / SEGMENTATION
    if not masks_dir.is_dir():
        raise ExportError(f"{src}: no {SEGMENTATION}/ folder; not a VOC segmentation dataset")
    classes = read_labelmap_if_any(src / "labelmap.txt") or dataset_classes("voc2012")
    sets = sorted((src / "ImageSets" / "Segmentation").glob("*.txt"))
    names: list[str] = []
    for listed in sets:
        for line in read_text_file(listed, error=ExportError).splitlines():
            if line.strip() and line.strip() not in names:
                names.append(line.strip())
    if not sets:
        names = sorted(p.relative_to(masks_dir).with_suffix("").as_posix() for p in masks_dir.rglob("*.png"))
    names_, colors = list(classes.names), list(classes.colors)
    if names_[-1] == IGNORED and colors[-1] == VOID_COLOR:  # 255's entry, not an id
        names_, colors = names_[:-1], colors[:-1]

    masks = BlackWhiteMasks()

    def loader(name: str):
        return lambda: read_mask(masks_dir / f"{name}.png", colors, masks)

    return SourceDataset(names_, colors, [(n, loader(n)) for n in names], masks=masks)
