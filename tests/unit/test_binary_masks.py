"""Label maps that hold only 0 and 255 (a binary mask saved as black/white: 255 is ignore here,
so the object vanishes and IoU is 0) are read as they are, and named once per run or folder."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.engine.binary_masks import BLACK_WHITE_SHARE, BlackWhiteMasks, black_white_share
from app.engine.imageio import read_label_map


def black_white(share: float = 0.25, shape=(40, 40)) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    mask.reshape(-1)[: int(round(share * mask.size))] = 255
    return mask


@pytest.mark.parametrize("values, mode, expected", [
    (black_white(0.25), "L", 0.25),
    (black_white(0.9), "L", 0.9),
    (black_white(0.005), "L", None),          # background with an ignored rim: a label map
    (black_white(1.0), "L", None),            # all ignore: no 0 in it
    (np.zeros((4, 4), np.uint8), "L", None),
    (np.where(black_white(0.25) == 0, 1, 255).astype(np.uint8), "L", None),  # 1 and 255
    (np.array([[0, 1, 255, 255]], np.uint8), "L", None),  # a class besides
    (black_white(0.25), "P", None),           # VOC's background and void, in chosen colours
    (black_white(0.25).astype(np.uint16), "I;16", None),  # 255 can be a class past 256 classes
])
def test_the_rule(values, mode, expected):
    assert black_white_share(values, mode) == expected


def test_the_share_is_above_one_percent():
    assert BLACK_WHITE_SHARE == 0.01
    assert black_white_share(black_white(0.0125), "L") == pytest.approx(0.0125)


def save(path, values, mode):
    im = Image.fromarray(values, "L")
    if mode == "P":
        im = im.convert("P")
    elif mode == "1":
        im = Image.fromarray(values > 0)
    im.save(path)
    return path


@pytest.mark.parametrize("mode, found", [("L", True), ("P", False), ("1", False)])
def test_the_reader_notes_a_greyscale_black_white_map_and_reads_it_as_it_is(tmp_path, mode, found):
    mask = black_white(0.25)
    path = save(tmp_path / "m.png", mask, mode)
    masks = BlackWhiteMasks()
    labels = read_label_map(path, masks=masks)
    assert np.array_equal(labels, read_label_map(path))  # nothing read differently
    assert np.array_equal(labels, mask if mode != "1" else (mask > 0).astype(np.uint8))
    assert masks.looked_at == 1 and bool(masks.found) == found


def test_the_warning_says_what_was_found_and_what_to_do(tmp_path):
    masks = BlackWhiteMasks()
    masks.look(tmp_path / "a.png", "L", black_white(0.25))
    one = masks.warning()
    assert one is not None and one.startswith(f"{tmp_path / 'a.png'} holds only the values 0 and 255 "
                                              "(255 in 25% of its pixels): a binary mask saved as black/white?")
    assert "255 is read as ignore" in one and "convert the masks to 0/1" in one and "1-bit" in one
    masks.look(tmp_path / "b.png", "L", np.array([[0, 1]], np.uint8))
    masks.look(tmp_path / "c.png", "L", black_white(0.5))
    many = masks.warning()
    assert many is not None and many.startswith(f"2 of 3 label maps hold only the values 0 and 255 (the first: "
                                                f"{tmp_path / 'a.png'}, 255 in 25% of its pixels)")
    assert masks.take_warning() == many and masks.take_warning() is None  # once
    assert BlackWhiteMasks().warning() is None and BlackWhiteMasks().take_warning() is None


def test_the_review_s_reader_passes_its_folder_s_masks_on(tmp_path):
    from app.labels.label_files import read_checked_labels
    masks = BlackWhiteMasks()
    path = save(tmp_path / "a.png", black_white(0.25), "L")
    labels, counts = read_checked_labels(path, (40, 40), 2, masks)
    assert counts.tolist() == [1200, 0] and int((labels == 255).sum()) == 400
    assert masks.take_warning() is not None


def test_train_data_warns_once_through_its_log(tmp_path):
    from app.training.data import folder_dataset
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    for i in range(3):
        Image.fromarray(np.full((40, 40, 3), 60 * i, np.uint8)).save(tmp_path / "images" / f"p{i}.png")
        save(tmp_path / "labels" / f"p{i}.png", black_white(0.25 if i else 0.0), "L")
    said: list[str] = []
    data = folder_dataset(tmp_path, (20, 20), 2, log=said.append)
    assert len(said) == 1 and said[0].startswith("warning: 2 of 3 label maps hold only the values 0 and 255")
    assert set(np.unique(data.labels).tolist()) == {0, 255}  # read as they are
    quiet: list[str] = []
    save(tmp_path / "labels" / "p1.png", np.ones((40, 40), np.uint8), "L")
    save(tmp_path / "labels" / "p2.png", np.ones((40, 40), np.uint8), "L")
    folder_dataset(tmp_path, (20, 20), 2, log=quiet.append)
    assert quiet == []



def test_train_data_passes_its_log_to_the_folder(tmp_path):
    from app.classes import generic_classes
    from app.training.recipe import Recipe
    from app.training.train import load_data
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    for i in range(10):
        Image.fromarray(np.full((40, 40, 3), 20 * i, np.uint8)).save(tmp_path / "images" / f"p{i}.png")
        save(tmp_path / "labels" / f"p{i}.png", black_white(0.25), "L")
    said: list[str] = []
    load_data(Recipe(data=str(tmp_path), size=(20, 20)), generic_classes(2), said.append)
    assert [s for s in said if "hold only the values 0 and 255" in s]

def test_import_notes_black_white_voc_masks_once(tmp_path):
    from app.interchange.importer import import_labels
    src = tmp_path / "voc"
    (src / "SegmentationClass").mkdir(parents=True)
    for i in range(3):
        save(src / "SegmentationClass" / f"m{i}.png", black_white(0.25 + 0.1 * i), "L")
    report = import_labels("voc", src, tmp_path / "out")
    assert report.exported == ["m0", "m1", "m2"]
    found = [n for n in report.notes if "hold only the values 0 and 255" in n]
    assert len(found) == 1 and found[0].startswith("3 of 3 label maps")
    assert set(np.unique(read_label_map(tmp_path / "out" / "m1.png")).tolist()) == {0, 255}
