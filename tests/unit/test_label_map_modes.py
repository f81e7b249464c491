"""1-bit masks, as label tools write binary masks, are read as classes 0 and 1; other images
that are no label map are refused with what they are, not called a colour rendering."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.engine.imageio import ImageReadError, read_label_map

MASK = np.zeros((24, 32), bool)
MASK[4:12, 6:20] = True
MASK[20:, :3] = True


@pytest.mark.parametrize("suffix", [".png", ".tif", ".bmp", ".pbm"])
def test_a_1_bit_mask_is_classes_0_and_1(tmp_path, suffix):
    """It was refused as 'a colour rendering'; read through 'L' it would be 0/255, and 255 is
    ignore: the mask would vanish (IoU 0, mmseg #1509)."""
    path = tmp_path / f"mask{suffix}"
    Image.fromarray(MASK).save(path)
    with Image.open(path) as written:
        assert written.mode == "1"
    labels = read_label_map(path)
    assert labels.dtype == np.uint8 and labels.shape == MASK.shape
    assert np.array_equal(labels, MASK.astype(np.uint8)) and set(np.unique(labels)) == {0, 1}


def test_the_callers_take_a_1_bit_mask(tmp_path):
    from app.labels.label_files import read_checked_labels
    from app.training.data import read_label

    Image.fromarray(MASK).save(tmp_path / "mask.png")
    labels, counts = read_checked_labels(tmp_path / "mask.png", MASK.shape, 2)
    assert counts.tolist() == [int((~MASK).sum()), int(MASK.sum())]
    assert np.array_equal(read_label(tmp_path / "mask.png"), labels)  # train --data


@pytest.mark.parametrize("mode, says", [("LA", r"mode is LA \(grayscale with an alpha channel; save it without"),
                                        ("F", r"mode is F \(floating-point values; class indices are whole numbers")])
def test_other_images_are_named_for_what_they_are(tmp_path, mode, says):
    path = tmp_path / ("map.tif" if mode == "F" else "map.png")
    Image.fromarray(MASK.astype(np.uint8)).convert(mode).save(path)
    with pytest.raises(ImageReadError, match=says) as info:
        read_label_map(path)
    assert "colour rendering" not in str(info.value) and "1-bit" in str(info.value)


def test_a_colour_image_is_still_called_a_colour_rendering(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a_color.png")
    with pytest.raises(ImageReadError, match="mode is RGB.*colour rendering.*cannot be read as labels"):
        read_label_map(tmp_path / "a_color.png")
