"""CVAT mask and VOC exports imported by datumaro, CVAT's own dataset library."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from datumaro.components.annotation import AnnotationType
from datumaro.components.dataset import Dataset

from app.interchange.exporter import export_run
from app.training.scenes import scene_classes
from tests.unit.export_scenes import make_run_folder

NAMES = scene_classes().names


def datumaro_maps(folder) -> dict[str, np.ndarray]:
    """Each item's masks painted into one map by label name (CVAT's background and VOC's
    ignored -> 255)."""
    dataset = Dataset.import_from(str(folder), "voc_segmentation")
    labels = dataset.categories()[AnnotationType.label]
    out = {}
    for item in dataset:
        masks = [a for a in item.annotations if a.type == AnnotationType.mask]
        shape = masks[0].image.shape
        painted = np.full(shape, 254, np.uint8)
        for ann in masks:
            name = labels[ann.label].name
            assert not (painted[ann.image] != 254).any()  # masks do not overlap
            painted[ann.image] = 255 if name in ("background", "ignored") else NAMES.index(name)
        out[item.id] = painted
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_datumaro_reads_cvat_mask_pixel_for_pixel(tmp_path):
    maps = make_run_folder(tmp_path)  # with an ignore patch: CVAT's background
    report = export_run(tmp_path / "run", "cvat-mask", tmp_path / "cvat")
    assert report.failures == []
    labelmap = (tmp_path / "cvat" / "labelmap.txt").read_text().splitlines()
    assert labelmap[1] == "background:0,0,0::" and len(labelmap) == 2 + len(NAMES)
    got = datumaro_maps(tmp_path / "cvat")
    assert sorted(got) == sorted(maps)
    for name, expected in maps.items():
        assert np.array_equal(got[name], expected), name


def test_datumaro_reads_the_zipped_cvat_mask(tmp_path):
    maps = make_run_folder(tmp_path, seeds=(4,), subfolder=False)
    export_run(tmp_path / "run", "cvat-mask", tmp_path / "cvat.zip")
    with zipfile.ZipFile(tmp_path / "cvat.zip") as archive:
        assert "labelmap.txt" in archive.namelist()
        archive.extractall(tmp_path / "unzipped")
    got = datumaro_maps(tmp_path / "unzipped")
    assert np.array_equal(got["scene_4"], maps["scene_4"])


@pytest.mark.parametrize("ignore_patch", [False, True])
def test_datumaro_reads_voc_pixel_for_pixel(tmp_path, ignore_patch):
    maps = make_run_folder(tmp_path, ignore_patch=ignore_patch)
    report = export_run(tmp_path / "run", "voc", tmp_path / "voc")
    assert report.failures == []
    labelmap = (tmp_path / "voc" / "labelmap.txt").read_text().splitlines()
    assert (labelmap[-1] == "ignored:224,224,192::") == ignore_patch  # datumaro's name for 255
    got = datumaro_maps(tmp_path / "voc")
    for name, expected in maps.items():
        assert np.array_equal(got[name], expected), name
        assert (tmp_path / "voc" / "JPEGImages" / f"{name}.jpg").is_file()
