"""COCO JSON with one compressed-RLE annotation per class per image (COCO-Stuff style).

``annotations/instances_default.json`` (the layout CVAT and datumaro read) and
the photos under ``images/``. Each annotation's ``segmentation`` is
``{"size": [h, w], "counts": "<string>"}`` in pycocotools' column-major format,
with ``area`` and ``bbox`` as ``mask.area``/``mask.toBbox`` give them and
``iscrowd`` 0, as COCO-Stuff's semantic files use it. Category ids are the class
ids (the model's, or the mapping's); ignore (255) pixels belong to no annotation.
An import also reads uncompressed RLE and polygon segmentations.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageDraw

from app.interchange import rle
from app.interchange.checks import COCO_LIMIT, declared_size, flat_coordinates, item_name, read_text_file
from app.interchange.dataset import SourceDataset
from app.interchange.destination import Staging
from app.interchange.mapping import TargetClasses
from app.interchange.run_folder import IGNORE, ExportError, ItemError, LoadedItem

ANNOTATIONS = "annotations/instances_default.json"


class Writer:
    def __init__(self, staging: Staging, targets: TargetClasses) -> None:
        self.staging = staging
        classes = targets.classes
        self.categories = [{"id": i, "name": classes.names[i], "supercategory": "",
                            "color": list(classes.colors[i])} for i in targets.used_ids]
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        self.notes: list[str] = []

    def add(self, item: LoadedItem, labels: np.ndarray) -> None:
        image_id = len(self.images) + 1
        height, width = labels.shape
        photo = self.staging.copy_photo(f"images/{item.name}", item.image_path, item.image)
        if photo is None:
            self.notes.append(f"{item.name}: its photo was not found; file_name names a missing file")
        file_name = photo[len("images/"):] if photo else f"{item.name}.jpg"
        self.images.append({"id": image_id, "file_name": file_name, "width": int(width), "height": int(height)})
        present = np.flatnonzero(np.bincount(labels.ravel(), minlength=1))
        for value in present:
            if value == IGNORE:
                continue
            mask = labels == value
            self.annotations.append({
                "id": len(self.annotations) + 1, "image_id": image_id, "category_id": int(value),
                "segmentation": rle.encode(mask), "area": rle.area(mask), "bbox": rle.bbox(mask),
                "iscrowd": 0})

    def finish(self) -> list[str]:
        document = {"info": {"description": "exported by PSPNet Studio"}, "licenses": [],
                    "images": self.images, "categories": self.categories, "annotations": self.annotations}
        self.staging.write_text(ANNOTATIONS, json.dumps(document))
        return self.notes


def segmentation_mask(segmentation, height: int, width: int, source: str = "segmentation") -> np.ndarray:
    """Bool mask of a COCO segmentation: compressed or uncompressed RLE, or polygons.

    An RLE's own size must be the image's before anything is decoded (a hostile one
    could claim gigapixels); polygon coordinates must be finite (checks.py)."""
    if isinstance(segmentation, dict):
        size = segmentation.get("size")
        if not isinstance(size, list) or len(size) != 2:
            raise ItemError(f"{source}: the RLE has no [height, width] size")
        if list(declared_size(size[0], size[1], source)) != [height, width]:
            raise ItemError(f"{source}: RLE size {size} differs from the image's {[height, width]}")
        try:
            return rle.decode(segmentation)
        except (ValueError, KeyError, TypeError) as exc:
            raise ItemError(f"{source}: {exc}") from None
    if isinstance(segmentation, list):
        canvas = Image.new("1", (width, height), 0)
        draw = ImageDraw.Draw(canvas)
        for polygon in segmentation:
            xy = flat_coordinates(polygon, source)
            if len(xy) >= 6:
                draw.polygon(xy, fill=1, outline=1)
        return np.array(canvas, dtype=bool)
    raise ItemError(f"{source}: unknown segmentation of type {type(segmentation).__name__}")


def _as_int(value) -> int | None:
    """A whole number given as an int, a whole float or a digit string; None otherwise."""
    try:
        number = int(value) if not isinstance(value, (bool, float)) else None
        if isinstance(value, float) and value.is_integer():
            number = int(value)
    except (TypeError, ValueError):
        return None
    return number


def _whole_number(value, what: str, path: Path) -> int:
    number = _as_int(value)
    if number is None:
        raise ExportError(f"{path}: not a COCO JSON file ({what} {value!r} is not a whole number)")
    return number


def _read_document(path: Path) -> tuple[list[dict], list[dict], list[dict]]:
    """images, categories and annotations of a COCO file, each a list of objects."""
    try:
        document = json.loads(read_text_file(path, COCO_LIMIT, ExportError))
    except ExportError:
        raise
    except ValueError as exc:
        raise ExportError(f"{path}: not a COCO JSON file ({exc})") from None
    if not isinstance(document, dict) or "images" not in document or "categories" not in document:
        raise ExportError(f"{path}: not a COCO JSON file (no 'images' and 'categories')")
    parts = document["images"], document["categories"], document.get("annotations", [])
    for key, part in zip(("images", "categories", "annotations"), parts):
        if not isinstance(part, list) or not all(isinstance(x, dict) for x in part):
            raise ExportError(f"{path}: not a COCO JSON file ('{key}' is not a list of objects)")
    return parts


def read_dataset(src: Path) -> SourceDataset:
    """A COCO JSON (or a folder with ``annotations/*.json``): category ids become class values."""
    path = src
    if src.is_dir():
        found = sorted((src / "annotations").glob("*.json")) if (src / "annotations").is_dir() else []
        if len(found) != 1:
            raise ExportError(f"{src}: expected one JSON file in annotations/, found {len(found)}")
        path = found[0]
    images, categories, annotations = _read_document(path)
    ids = [_whole_number(c.get("id"), "category id", path) for c in categories]
    if not ids or min(ids) < 0 or max(ids) >= IGNORE:
        raise ExportError(f"{path}: category ids must lie in 0-254 to become class values")
    names = [f"class {i}" for i in range(max(ids) + 1)]
    colors: list[tuple[int, int, int]] = [(0, 0, 0)] * len(names)
    for i, c in zip(ids, categories):
        names[i] = str(c.get("name"))
        color = c.get("color")
        if isinstance(color, list) and len(color) == 3 and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in color):
            colors[i] = (color[0], color[1], color[2])
    by_image: dict[object, list[dict]] = {}
    for ann in annotations:
        by_image.setdefault(_as_int(ann.get("image_id")), []).append(ann)

    def loader(image: dict, name: str):
        def load() -> np.ndarray:
            height, width = declared_size(image.get("height"), image.get("width"), f"{path}: {name}")
            labels = np.full((height, width), IGNORE, dtype=np.uint8)
            image_id = _as_int(image.get("id"))  # annotations without a usable image_id belong to no image
            for ann in by_image.get(image_id, []) if image_id is not None else []:
                where = f"{path}: {name}: annotation {ann.get('id')}"
                category = _as_int(ann.get("category_id"))
                if category is None or not 0 <= category < IGNORE:
                    raise ItemError(f"{where}: category_id {ann.get('category_id')!r} is not a category id (0-254)")
                labels[segmentation_mask(ann.get("segmentation"), height, width, where)] = category
            return labels
        return load

    items = []
    for image in images:
        try:
            name = item_name(image.get("file_name"), f"{path}: image {image.get('id')}")
            stem = PurePosixPath(name).with_suffix("").as_posix() if PurePosixPath(name).suffix else name
            items.append((stem, loader(image, name)))
        except ItemError as exc:
            items.append((f"image {image.get('id')}", _failing(exc)))
    return SourceDataset(names, colors, items)


def _failing(error: ItemError):
    """A loader that reports ``error``: an entry that cannot be imported is listed, not dropped."""
    def load() -> np.ndarray:
        raise error
    return load
