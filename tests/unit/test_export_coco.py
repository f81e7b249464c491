"""COCO export read by pycocotools itself: every RLE decodes to the class's pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO

from app.interchange import rle
from app.interchange.exporter import export_run
from tests.unit.export_scenes import make_run_folder

# pycocotools 2.0.11 on numpy 2 warns about its own __array__; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def test_rle_strings_match_pycocotools_on_random_masks():
    rng = np.random.default_rng(0)
    for trial in range(200):
        height, width = (int(v) for v in rng.integers(1, 40, 2))
        mask = rng.random((height, width)) < rng.random()
        if trial % 4 == 0:  # long runs: counts that need several 5-bit groups
            mask = np.zeros((height, width), bool)
            mask[rng.integers(0, height):, rng.integers(0, width):] = True
        ours = rle.encode(mask)
        theirs = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
        assert ours["counts"] == theirs["counts"].decode("ascii")
        assert ours["size"] == [height, width]
        assert rle.area(mask) == int(coco_mask.area(theirs))
        assert np.allclose(rle.bbox(mask), coco_mask.toBbox(theirs))
        assert np.array_equal(rle.decode(ours), mask)


def test_large_mask_runs_round_trip_through_pycocotools():
    mask = np.zeros((700, 900), bool)
    mask[100:650, 50:880] = True  # runs far above 2**15
    mask[300:310, 400:410] = False
    decoded = coco_mask.decode({"size": [700, 900], "counts": rle.encode(mask)["counts"].encode()})
    assert np.array_equal(decoded.astype(bool), mask)


def test_pycocotools_rebuilds_every_label_map(tmp_path):
    maps = make_run_folder(tmp_path)
    report = export_run(tmp_path / "run", "coco", tmp_path / "coco")
    assert report.failures == [] and sorted(report.exported) == sorted(maps)
    path = tmp_path / "coco" / "annotations" / "instances_default.json"
    document = json.loads(path.read_text())
    coco = COCO(str(path))
    assert sorted(coco.getCatIds()) == sorted({int(v) for m in maps.values() for v in np.unique(m) if v != 255})
    for image in document["images"]:
        name = image["file_name"].rsplit(".", 1)[0]
        expected = maps[name]
        rebuilt = np.full(expected.shape, 255, np.uint8)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        assert len(anns) == len(set(np.unique(expected)) - {255})  # one per class present
        for ann in anns:
            assert isinstance(ann["segmentation"]["counts"], str) and ann["iscrowd"] == 0
            mask = coco.annToMask(ann).astype(bool)
            assert np.array_equal(mask, expected == ann["category_id"])
            assert ann["area"] == int(mask.sum())
            encoded = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
            assert np.allclose(ann["bbox"], coco_mask.toBbox(encoded))
            assert not rebuilt[mask].any() or (rebuilt[mask] == 255).all()  # no overlaps
            rebuilt[mask] = ann["category_id"]
        assert np.array_equal(rebuilt, expected)
        assert (tmp_path / "coco" / "images" / image["file_name"]).is_file()
    names = {c["id"]: c["name"] for c in document["categories"]}
    assert names[9] == "car" and names[0] == "sky"
