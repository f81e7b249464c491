"""labelme JSON: one file per image, one polygon per connected region of a class.

``NAME.json`` beside a copy of the photo; ``imagePath`` is relative, ``imageData``
null. Points are pixel indices of the region's outer boundary (see polygons.py),
so labelme's own rasteriser (``PIL.ImageDraw.polygon`` with outline, shapes
drawn in order, the later winning) rebuilds the region exactly. labelme cannot
store holes (#434): each polygon covers its holes, and the shapes inside them
come later in the file, so they are painted over it. Ignore (255) regions are
shapes labelled ``__ignore__``, labelme's own ignore label (labelme2voc maps it
to -1, stored as 255). ``labelmap.txt`` beside the JSON files keeps the class
order for the import.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageDraw

from app.engine.writers import cvat_labelmap
from app.interchange.checks import LABELME_LIMIT, declared_size, point_pairs, read_text_file
from app.interchange.dataset import SourceDataset
from app.interchange.destination import Staging
from app.interchange.mapping import TargetClasses
from app.interchange.polygons import closed_points, label_regions
from app.interchange.run_folder import (IGNORE, ExportError, ItemError, LoadedItem,
                                        read_labelmap_if_any)

IGNORE_LABEL = "__ignore__"
BACKGROUND_LABEL = "_background_"
FORMAT_VERSION = "5.5.0"


def shape(label: str, points: list[tuple[int, int]]) -> dict:
    return {"label": label, "points": [[float(x), float(y)] for x, y in closed_points(points)],
            "group_id": None, "description": "", "shape_type": "polygon", "flags": {}, "mask": None}


class Writer:
    def __init__(self, staging: Staging, targets: TargetClasses) -> None:
        self.staging, self.classes = staging, targets.classes
        self.notes: list[str] = []
        self.targets = targets

    def add(self, item: LoadedItem, labels: np.ndarray) -> None:
        height, width = labels.shape
        photo = self.staging.copy_photo(item.name, item.image_path, item.image)
        if photo is None:
            self.notes.append(f"{item.name}: its photo was not found; imagePath names a missing file")
        names = self.classes.names
        shapes = [shape(IGNORE_LABEL if r.value == IGNORE else names[r.value], r.points)
                  for r in label_regions(labels)]
        document: dict[str, object] = {"version": FORMAT_VERSION, "flags": {}, "shapes": shapes,
                    "imagePath": PurePosixPath(photo or f"{item.name}.jpg").name, "imageData": None,
                    "imageHeight": int(height), "imageWidth": int(width)}
        self.staging.write_text(f"{item.name}.json", json.dumps(document, indent=1))

    def finish(self) -> list[str]:
        self.staging.write_text("labelmap.txt", cvat_labelmap(self.classes))
        return self.notes


def rasterise(document: dict, values: dict[str, int], source: str) -> np.ndarray:
    """labelme's ``shapes_to_label``: shapes in order, later ones winning; unlabelled = 255.

    Polygons, rectangles and circles as labelme's ``shape_to_mask`` draws them. The
    size and every point are checked first (checks.py): a hostile file fails alone."""
    height, width = declared_size(document.get("imageHeight"), document.get("imageWidth"), source)
    shapes = document.get("shapes", [])
    if not isinstance(shapes, list):
        raise ItemError(f"{source}: 'shapes' is not a list")
    labels = np.full((height, width), IGNORE, dtype=np.uint8)
    for index, entry in enumerate(shapes):
        if not isinstance(entry, dict):
            raise ItemError(f"{source}: shape {index} is not an object")
        name, kind = entry.get("label"), entry.get("shape_type") or "polygon"
        if not isinstance(name, str) or name not in values:
            raise ItemError(f"{source}: shape {index} has the label {name!r}, which is not a class")
        xy = point_pairs(entry.get("points"), f"{source}: shape {index}")
        canvas = Image.new("1", (width, height), 0)
        draw = ImageDraw.Draw(canvas)
        if kind == "polygon" and len(xy) > 2:
            draw.polygon(xy, outline=1, fill=1)
        elif kind == "rectangle" and len(xy) == 2:
            (x0, y0), (x1, y1) = xy
            draw.rectangle(((min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))), outline=1, fill=1)
        elif kind == "circle" and len(xy) == 2:
            (cx, cy), (px, py) = xy
            d = float(np.hypot(cx - px, cy - py))
            draw.ellipse(((cx - d, cy - d), (cx + d, cy + d)), outline=1, fill=1)
        else:
            raise ItemError(f"{source}: shape {index} ({kind} with {len(xy)} points) is not a region "
                            "(polygon, rectangle or circle)")
        labels[np.array(canvas, dtype=bool)] = values[name]
    return labels


def _load_json(path: Path) -> dict:
    """The labelme document of ``path``; ``imageData`` (an embedded photo) is never decoded."""
    try:
        document = json.loads(read_text_file(path, LABELME_LIMIT))
    except ValueError as exc:
        if isinstance(exc, ItemError):
            raise
        raise ItemError(f"{path}: not a labelme file ({exc})") from None
    if not isinstance(document, dict) or "imageHeight" not in document or "imageWidth" not in document:
        raise ItemError(f"{path}: not a labelme file (no imageHeight and imageWidth)")
    return document


def read_dataset(src: Path) -> SourceDataset:
    """A folder of labelme JSON files; class order from its labelmap.txt, else first appearance."""
    if not src.is_dir():
        raise ExportError(f"{src}: not a folder of labelme JSON files")
    files = sorted(p for p in src.rglob("*.json") if not any(x.startswith(".") for x in p.relative_to(src).parts))
    if (classes := read_labelmap_if_any(src / "labelmap.txt")) is not None:
        names, colors = list(classes.names), list(classes.colors)
    else:
        names, colors = [], []
        for path in files:
            try:
                shapes = _load_json(path).get("shapes", [])
            except ItemError:
                continue  # its loader reports it, as its own failure; the other files still count
            for entry in shapes if isinstance(shapes, list) else []:
                label = entry.get("label") if isinstance(entry, dict) else None
                if isinstance(label, str) and label not in names and label not in (IGNORE_LABEL, BACKGROUND_LABEL):
                    names.append(label)
        colors = [(0, 0, 0)] * len(names)
    values = {name: i for i, name in enumerate(names)}
    values[IGNORE_LABEL] = IGNORE
    unlabelled = set()
    if BACKGROUND_LABEL not in values:
        names.append(BACKGROUND_LABEL)
        colors.append((0, 0, 0))
        values[BACKGROUND_LABEL] = len(names) - 1
        unlabelled.add(BACKGROUND_LABEL)

    def loader(path: Path):
        return lambda: rasterise(_load_json(path), values, str(path))

    items = [(p.relative_to(src).with_suffix("").as_posix(), loader(p)) for p in files]
    return SourceDataset(names, colors, items, unlabelled)
