"""labelme and YOLO-seg exports rasterised back the way their own tools do.

labelme: ``labelme.utils.shapes_to_label`` (``PIL.ImageDraw.polygon`` with outline and
fill, shapes in file order, the later winning), written out here because the labelme
package pulls PyQt5 into the environment. YOLO-seg: the normalised polygons scaled back
by the image size and filled largest first, as ultralytics' overlap masks stack them.
"""

from __future__ import annotations

import json

import numpy as np
import yaml
from PIL import Image, ImageDraw

from app.interchange.exporter import export_run
from app.interchange.polygons import closed_points, label_regions
from app.training.scenes import scene_classes
from tests.unit.export_scenes import make_run_folder, per_class_iou


def labelme_shapes_to_label(document: dict, values: dict[str, int]) -> np.ndarray:
    """labelme's shapes_to_label for polygons; unlabelled pixels are 254 (never a class here)."""
    height, width = document["imageHeight"], document["imageWidth"]
    labels = np.full((height, width), 254, np.uint8)
    for shape in document["shapes"]:
        assert shape["shape_type"] == "polygon" and len(shape["points"]) > 2
        mask = Image.fromarray(np.zeros((height, width), np.uint8))
        ImageDraw.Draw(mask).polygon([tuple(p) for p in shape["points"]], outline=1, fill=1)
        labels[np.array(mask, dtype=bool)] = values[shape["label"]]
    return labels


def polygon_area(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


def yolo_rasterise(text: str, height: int, width: int) -> np.ndarray:
    polygons = []
    for line in text.splitlines():
        values = line.split()
        xy = np.array(values[1:], float).reshape(-1, 2) * (width, height)
        polygons.append((int(values[0]), np.rint(xy)))
    labels = np.full((height, width), 254, np.uint8)
    for value, xy in sorted(polygons, key=lambda p: -polygon_area(p[1])):
        mask = Image.new("1", (width, height), 0)
        ImageDraw.Draw(mask).polygon([tuple(p) for p in xy], outline=1, fill=1)
        labels[np.array(mask, dtype=bool)] = value
    return labels


def test_tracer_rebuilds_random_maps_exactly():
    rng = np.random.default_rng(5)
    for trial in range(150):
        height, width = (int(v) for v in rng.integers(1, 28, 2))
        labels = (rng.random((height, width)) * rng.integers(1, 5)).astype(np.uint8)
        if trial % 2:  # blocky maps: holes, islands in holes, diagonal pinches
            labels = np.kron(labels, np.ones((3, 3), np.uint8))[:height, :width]
        canvas = Image.new("L", (width, height), 254)
        draw = ImageDraw.Draw(canvas)
        for region in label_regions(labels):
            draw.polygon(closed_points(region.points), fill=region.value, outline=region.value)
        assert np.array_equal(np.array(canvas), labels), trial


def test_labelme_export_rasterised_by_labelme_rules(tmp_path):
    maps = make_run_folder(tmp_path)
    report = export_run(tmp_path / "run", "labelme", tmp_path / "lm")
    assert report.failures == []
    values = {name: i for i, name in enumerate(scene_classes().names)}
    values["__ignore__"] = 255
    for name, expected in maps.items():
        document = json.loads((tmp_path / "lm" / f"{name}.json").read_text())
        assert document["imageData"] is None and "/" not in document["imagePath"]
        assert (tmp_path / "lm" / name).with_name(document["imagePath"]).is_file()
        assert (document["imageHeight"], document["imageWidth"]) == expected.shape
        rebuilt = labelme_shapes_to_label(document, values)
        ious = per_class_iou(rebuilt, expected)
        assert min(ious.values()) >= 0.98, ious
        assert 254 not in rebuilt  # every pixel is covered by a shape


def test_labelme_shapes_come_largest_first_so_holes_are_painted_over():
    labels = np.zeros((20, 20), np.uint8)
    labels[5:15, 5:15] = 1
    labels[8:12, 8:12] = 2  # a hole in region 1, holding region 2
    order = [r.value for r in label_regions(labels)]
    assert order == [0, 1, 2]


def test_yolo_seg_export_within_polygon_tolerance(tmp_path):
    maps = make_run_folder(tmp_path)
    report = export_run(tmp_path / "run", "yolo-seg", tmp_path / "yolo")
    assert report.failures == []
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(scene_classes().names))
    assert (tmp_path / "yolo" / "classes.txt").read_text().splitlines() == list(scene_classes().names)
    for name, expected in maps.items():
        text = (tmp_path / "yolo" / "labels" / f"{name}.txt").read_text()
        for line in text.splitlines():
            coords = np.array(line.split()[1:], float)
            assert coords.size >= 6 and coords.size % 2 == 0 and (0 <= coords).all() and (coords <= 1).all()
        rebuilt = yolo_rasterise(text, *expected.shape)
        known = expected != 255  # YOLO has no ignore: compare the labelled pixels
        ious = per_class_iou(rebuilt[known], expected[known])
        assert min(ious.values()) >= 0.98, ious
        assert (tmp_path / "yolo" / "images" / f"{name}.png").is_file()
