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
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from app.interchange import rle
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


def segmentation_mask(segmentation, height: int, width: int) -> np.ndarray:
    """Bool mask of a COCO segmentation: compressed or uncompressed RLE, or polygons."""
    if isinstance(segmentation, dict):
        mask = rle.decode(segmentation)
        if mask.shape != (height, width):
            raise ValueError(f"RLE size {list(mask.shape)} differs from the image's {[height, width]}")
        return mask
    if isinstance(segmentation, list):
        canvas = Image.new("1", (width, height), 0)
        draw = ImageDraw.Draw(canvas)
        for polygon in segmentation:
            xy = [float(v) for v in polygon]
            if len(xy) >= 6:
                draw.polygon(xy, fill=1, outline=1)
        return np.array(canvas, dtype=bool)
    raise ValueError(f"unknown segmentation of type {type(segmentation).__name__}")


def read_dataset(src: Path) -> SourceDataset:
    """A COCO JSON (or a folder with ``annotations/*.json``): category ids become class values."""
    path = src
    if src.is_dir():
        found = sorted((src / "annotations").glob("*.json")) if (src / "annotations").is_dir() else []
        if len(found) != 1:
            raise ExportError(f"{src}: expected one JSON file in annotations/, found {len(found)}")
        path = found[0]
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        images, categories = document["images"], document["categories"]
        annotations = document.get("annotations", [])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ExportError(f"{path}: not a COCO JSON file ({exc})") from None
    ids = [int(c["id"]) for c in categories]
    if not ids or min(ids) < 0 or max(ids) >= IGNORE:
        raise ExportError(f"{path}: category ids must lie in 0-254 to become class values")
    names = [f"class {i}" for i in range(max(ids) + 1)]
    colors: list[tuple[int, int, int]] = [(0, 0, 0)] * len(names)
    for c in categories:
        names[int(c["id"])] = str(c["name"])
        if isinstance(c.get("color"), list) and len(c["color"]) == 3:
            colors[int(c["id"])] = tuple(int(v) for v in c["color"])  # type: ignore[assignment]
    by_image: dict[int, list[dict]] = {}
    for ann in annotations:
        by_image.setdefault(int(ann["image_id"]), []).append(ann)

    def loader(image: dict):
        def load() -> np.ndarray:
            height, width = int(image["height"]), int(image["width"])
            labels = np.full((height, width), IGNORE, dtype=np.uint8)
            for ann in by_image.get(int(image["id"]), []):
                try:
                    labels[segmentation_mask(ann["segmentation"], height, width)] = int(ann["category_id"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise ItemError(f"{image['file_name']}: annotation {ann.get('id')}: {exc}") from None
            return labels
        return load

    items = [(Path(str(im["file_name"])).with_suffix("").as_posix(), loader(im)) for im in images]
    return SourceDataset(names, colors, items)
