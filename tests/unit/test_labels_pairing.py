"""Finding the label folder beside an image folder, pairing files, class lists and mismatches."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.classes import ClassInfo, generic_classes
from app.engine.writers import cvat_labelmap, label_image
from app.labels.label_files import (LabelFileError, check_label_map, check_record_classes, parse_labelmap,
                                    read_label_file, read_labelmap, record_class_names)
from app.labels.pairing import candidate_label_dirs, compare_classes, match_files, pair_folder


def _photo(path: Path, size=(8, 6)) -> Path:
    Image.fromarray(np.zeros((size[1], size[0], 3), np.uint8)).save(path)
    return path


def _label(path: Path, values: np.ndarray, mode: str = "P") -> Path:
    im = Image.fromarray(values.astype(np.uint8), mode="L")
    if mode == "P":
        im = im.convert("P")
        im.putpalette([0, 0, 0, 255, 0, 0] * 128)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)
    return path


def test_voc_layout_pairs_images_with_segmentation_class(tmp_path):
    images = tmp_path / "JPEGImages"
    images.mkdir()
    photos = [_photo(images / "2007_000032.jpg"), _photo(images / "2007_000033.jpg")]
    _label(tmp_path / "SegmentationClass" / "2007_000032.png", np.ones((6, 8)))
    pairing = pair_folder(images, photos)
    assert pairing is not None and pairing.label_dir == tmp_path / "SegmentationClass"
    assert pairing.files == {photos[0]: tmp_path / "SegmentationClass" / "2007_000032.png"}
    assert pairing.label_for(photos[1]) is None and pairing.classes is None


def test_app_output_folder_comes_first_with_its_labelmap(tmp_path):
    photos_dir = tmp_path / "photos"
    photos_dir.mkdir()
    photo = _photo(photos_dir / "a.jpg")
    classes = generic_classes(3)
    out = tmp_path / "photos_labels"
    out.mkdir()
    label_image(np.array([[0, 1], [2, 255]], np.uint8), classes).save(out / "a.png")
    (out / "labelmap.txt").write_text(cvat_labelmap(classes))
    _label(tmp_path / "labels" / "a.png", np.zeros((6, 8)))  # a second candidate, not chosen
    pairing = pair_folder(photos_dir, [photo])
    assert pairing.label_dir == out
    assert pairing.classes.names == classes.names and pairing.classes.colors == classes.colors


def test_no_label_folder_means_no_pairing_and_empty_folders_do_not_count(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    photo = _photo(images / "x.png")
    (tmp_path / "labels").mkdir()  # exists but holds nothing for x.png
    (tmp_path / "labels" / "other.png").write_bytes(b"")
    assert pair_folder(images, [photo]) is None
    explicit = pair_folder(images, [photo], tmp_path / "labels")
    assert explicit.files == {} and "holds no label PNG" in explicit.problems[0]


def test_stem_clash_uses_the_batch_names(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    jpg, png = _photo(folder / "a.jpg"), _photo(folder / "a.png")
    labels = tmp_path / "p_labels"
    _label(labels / "a_jpg.png", np.zeros((6, 8)))
    _label(labels / "a_png.png", np.ones((6, 8)))
    assert match_files([jpg, png], labels) == {jpg: labels / "a_jpg.png", png: labels / "a_png.png"}


def test_sub_folders_are_mirrored_as_the_batch_run_writes_them(tmp_path):
    folder = tmp_path / "p"
    (folder / "day").mkdir(parents=True)
    photo = _photo(folder / "day" / "a.jpg")
    _label(tmp_path / "p_labels" / "day" / "a.png", np.zeros((6, 8)))
    _label(tmp_path / "p_labels" / "a.png", np.ones((6, 8)))  # another image's labels
    assert pair_folder(folder, [photo]).files == {photo: tmp_path / "p_labels" / "day" / "a.png"}


def test_candidates_include_nested_and_inside_layouts(tmp_path):
    found = candidate_label_dirs(tmp_path / "train")
    assert found[0] == tmp_path / "train_labels"
    assert tmp_path / "labels" / "train" in found and tmp_path / "train" / "labels" in found
    assert tmp_path / "train" not in found


def test_palette_and_grayscale_read_as_indices_and_rgb_is_refused(tmp_path):
    values = np.array([[0, 3], [255, 1]])
    assert read_label_file(_label(tmp_path / "p.png", values, "P")).tolist() == values.tolist()
    assert read_label_file(_label(tmp_path / "g.png", values, "L")).tolist() == values.tolist()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(LabelFileError, match="RGB"):
        read_label_file(tmp_path / "rgb.png")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(LabelFileError, match="bad.png"):
        read_label_file(tmp_path / "bad.png")
    with pytest.raises(LabelFileError, match="folder"):
        read_label_file(tmp_path)


def test_values_beyond_the_classes_and_size_mismatch_are_reported(tmp_path):
    path = tmp_path / "m.png"
    labels = np.array([[0, 1, 255], [2, 7, 9]], np.uint8)
    with pytest.raises(LabelFileError, match=r"values 7, 9 but the class list has 3 classes"):
        check_label_map(labels, (2, 3), 3, path)
    with pytest.raises(LabelFileError, match="is 3x2 but its image is 4x2"):
        check_label_map(labels, (2, 4), 10, path)
    counts = check_label_map(labels, (2, 3), 10, path)
    assert counts.tolist() == [1, 1, 1, 0, 0, 0, 0, 1, 0, 1]  # 255 is ignore, not counted


def test_labelmap_parsing_and_errors(tmp_path):
    info = parse_labelmap("# label:color_rgb:parts:actions\nbackground:0,0,0::\ncat:64,128,0::\n")
    assert info.names == ("background", "cat") and info.colors[1] == (64, 128, 0)
    with pytest.raises(LabelFileError, match="line 2"):
        parse_labelmap("a:1,2,3::\nb:1,2::\n")
    with pytest.raises(LabelFileError, match="no classes"):
        parse_labelmap("# only a header\n")
    assert read_labelmap(tmp_path) is None


def test_class_list_mismatch_is_described():
    a = ClassInfo(("sky", "road"), ((0, 0, 0), (1, 1, 1)), title="from labelmap.txt")
    b = ClassInfo(("sky", "water"), ((0, 0, 0), (1, 1, 1)))
    assert "at 1 indices (e.g. 1: 'road' vs 'water')" in compare_classes(a, b)
    assert "3 classes" in compare_classes(a, generic_classes(3))
    assert compare_classes(a, a) is None and compare_classes(None, b) is None


def test_a_records_class_names_are_checked_against_the_class_list(tmp_path):
    record = tmp_path / "a.json"
    record.write_text('{"classes": [{"index": 0, "name": "sky", "pixels": 4}, {"index": 2, "name": "car"}]}')
    names = record_class_names(record)
    assert names == {0: "sky", 2: "car"}
    same = ClassInfo(("sky", "road", "car"), ((0, 0, 0),) * 3)
    other = ClassInfo(("sky", "road", "boat"), ((0, 0, 0),) * 3)
    assert check_record_classes(names, same, record) is None
    assert "class 2 is 'car' but the class list calls it 'boat'" in check_record_classes(names, other, record)
    record.write_text("{broken")
    assert record_class_names(record) == {} and record_class_names(tmp_path / "none.json") == {}
