"""import(export(x)) == x, and what happens to bad inputs and existing destinations."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from app.engine.imageio import read_label_map
from app.engine.writers import label_image
from app.interchange.exporter import export_run
from app.interchange.importer import import_labels
from app.interchange.run_folder import ExportError, read_labelmap
from app.training.scenes import scene_classes
from tests.unit.export_scenes import make_run_folder


@pytest.mark.parametrize("fmt", ["cvat-mask", "voc", "coco", "labelme"])
def test_import_of_export_is_the_label_maps(tmp_path, fmt):
    maps = make_run_folder(tmp_path)  # ignore patch with a car in its hole, a sub-folder
    assert export_run(tmp_path / "run", fmt, tmp_path / "out").failures == []
    report = import_labels(fmt, tmp_path / "out", tmp_path / "back")
    assert report.failures == [] and sorted(report.exported) == sorted(maps)
    assert read_labelmap(tmp_path / "back" / "labelmap.txt").names == scene_classes().names
    for name, expected in maps.items():
        assert np.array_equal(read_label_map(tmp_path / "back" / f"{name}.png"), expected), name


def test_import_numbers_labels_by_the_given_classes(tmp_path):
    maps = make_run_folder(tmp_path, seeds=(2,), subfolder=False)
    export_run(tmp_path / "run", "cvat-mask", tmp_path / "out")
    reordered = scene_classes().from_lists(tuple(reversed(scene_classes().names)), None)
    import_labels("cvat-mask", tmp_path / "out", tmp_path / "back", reordered)
    got = read_label_map(tmp_path / "back" / "scene_2.png")
    expected = np.where(maps["scene_2"] == 255, 255, len(reordered) - 1 - maps["scene_2"].astype(int))
    assert np.array_equal(got, expected)
    few = scene_classes().from_lists(["sky"], None)
    with pytest.raises(ExportError, match="not among the classes"):
        import_labels("cvat-mask", tmp_path / "out", tmp_path / "back2", few)


def test_values_outside_the_classes_and_size_mismatch_are_per_file_errors(tmp_path):
    make_run_folder(tmp_path)
    bad = np.full((64, 160), 3, np.uint8)
    bad[0, 0] = 40
    label_image(bad, scene_classes()).save(tmp_path / "run" / "scene_1.png")
    label_image(np.zeros((10, 10), np.uint8), scene_classes()).save(tmp_path / "run" / "scene_2.png")
    report = export_run(tmp_path / "run", "voc", tmp_path / "voc")
    assert len(report.failures) == 2
    assert "value(s) 40 in 1 pixel(s) are not class indices (0-11)" in report.failures[0]
    assert "label map is 10x10 but its image" in report.failures[1] and "160x64" in report.failures[1]
    assert report.exported == ["sub/scene_3"]
    assert (tmp_path / "voc" / "SegmentationClass" / "sub" / "scene_3.png").is_file()
    assert not (tmp_path / "voc" / "SegmentationClass" / "scene_1.png").exists()


def test_existing_destination_is_kept_without_overwrite(tmp_path):
    make_run_folder(tmp_path)
    dest = tmp_path / "coco"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep me")
    with pytest.raises(ExportError, match="exists; not replacing it"):
        export_run(tmp_path / "run", "coco", dest)
    assert (dest / "mine.txt").read_text() == "keep me"
    export_run(tmp_path / "run", "coco", dest, overwrite=True)
    assert not (dest / "mine.txt").exists() and (dest / "annotations" / "instances_default.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_destination_inside_the_run_folder_is_refused(tmp_path):
    make_run_folder(tmp_path)
    with pytest.raises(ExportError, match="must not be inside the source folder"):
        export_run(tmp_path / "run", "voc", tmp_path / "run" / "voc")


def test_cancel_leaves_nothing(tmp_path):
    make_run_folder(tmp_path)
    cancel = threading.Event()

    def on_item(done, total, name, error):
        if done == 1:
            cancel.set()

    report = export_run(tmp_path / "run", "labelme", tmp_path / "lm", on_item=on_item, cancel=cancel)
    assert report.cancelled and len(report.exported) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "run"]


def test_not_a_run_folder(tmp_path):
    with pytest.raises(ExportError, match="no labelmap.txt"):
        export_run(tmp_path, "voc", tmp_path.parent / "x")
    make_run_folder(tmp_path)
    Image.new("RGB", (4, 4)).save(tmp_path / "run" / "odd.png")  # a colour image is no label map
    report = export_run(tmp_path / "run", "coco", tmp_path / "coco")
    assert any("odd.png" in f for f in report.failures) and len(report.exported) == 3


def test_mapping_file_gives_other_ids(tmp_path):
    maps = make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    mapping = tmp_path / "to_ids.txt"
    mapping.write_text("# trainId -> id\n0 23\n9 26\n7 255\n")
    report = export_run(tmp_path / "run", "voc", tmp_path / "voc", mapping=mapping)
    assert any("'road' is mapped to 255" in n for n in report.notes)
    got = read_label_map(tmp_path / "voc" / "SegmentationClass" / "scene_1.png")
    expected = maps["scene_1"].copy()
    expected[maps["scene_1"] == 0] = 23
    expected[maps["scene_1"] == 9] = 26
    expected[maps["scene_1"] == 7] = 255
    assert np.array_equal(got, expected)
    names = read_labelmap(tmp_path / "voc" / "labelmap.txt").names
    assert names[23] == "sky" and names[26] == "car" and names[0] == "class 0"
    mapping.write_text("0 300\n")
    with pytest.raises(ExportError, match="outside 0-255"):
        export_run(tmp_path / "run", "voc", tmp_path / "voc2", mapping=mapping)


def test_colour_renderings_are_not_label_maps_but_a_photo_named_x_color_is(tmp_path):
    from app.engine.writers import color_image
    from app.interchange.run_folder import open_run_folder

    maps = make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    classes = scene_classes()
    Image.fromarray(color_image(maps["scene_1"], classes)).save(tmp_path / "run" / "scene_1_color.png")
    label_image(maps["scene_1"], classes).save(tmp_path / "run" / "sunset_color.png")
    names = [item.name for item in open_run_folder(tmp_path / "run").items]
    assert names == ["scene_1", "sunset_color"]


def test_duplicate_class_names_are_made_unique_for_the_label_map(tmp_path):
    from app.classes import ClassInfo
    from app.interchange.mapping import target_classes

    targets = target_classes(ClassInfo(("car", "Car", "road"), ((1, 1, 1), (2, 2, 2), (3, 3, 3))))
    assert targets.classes.names == ("car", "Car_2", "road")
    assert any("'Car' is named 'Car_2'" in n for n in targets.notes)
