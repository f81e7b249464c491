"""Big photos in bounded memory: the photo read and the colour/overlay outputs are made a
band of rows at a time, and must equal what the whole-array functions give."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

import app.engine.imageio as imageio
import app.engine.writers as writers
from app.classes import generic_classes
from app.engine.result import SegmentationResult


def test_reading_in_bands_equals_the_whole_conversion(tmp_path, monkeypatch):
    monkeypatch.setattr(imageio, "COPY_BYTES", 3 * 50 * 7)  # 7 rows of a 50-wide photo per band
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (61, 50, 3)).astype(np.uint8)
    cases = {"rgb.png": Image.fromarray(rgb), "gray.png": Image.fromarray(rgb[..., 0]),
             "palette.png": Image.fromarray(rgb).convert("P"), "rgba.png": Image.fromarray(rgb).convert("RGBA")}
    for name, picture in cases.items():
        picture.save(tmp_path / name)
        with Image.open(tmp_path / name) as im:
            expected = np.array(im.convert("RGB"))
        got = imageio.read_image(tmp_path / name)
        assert got.flags.writeable and got.flags.c_contiguous and got.dtype == np.uint8, name
        np.testing.assert_array_equal(got, expected, err_msg=name)


def test_exif_rotation_is_still_applied(tmp_path):
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[:5] = 255  # a white band at the top
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    Image.fromarray(rgb).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    got = imageio.read_image(tmp_path / "turned.jpg")
    assert got.shape == (30, 20, 3) and got[:, -3:].mean() > 200 and got[:, :10].mean() < 30


def test_banded_colour_and_overlay_files_equal_the_whole_images(tmp_path, monkeypatch):
    classes = generic_classes(6)
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 6, (53, 40)).astype(np.uint8)
    labels[:3] = 255  # ignore pixels too
    photo = rng.integers(0, 256, (53, 40, 3)).astype(np.uint8)
    result = SegmentationResult(labels, rng.random(labels.shape).astype(np.float32),
                                np.bincount(labels.ravel(), minlength=6)[:6], None, "cpu", 0.1)  # type: ignore[arg-type]
    monkeypatch.setattr(writers, "BAND_BYTES", 3 * 40 * 4)  # 4 rows per band
    paths = writers.output_paths(tmp_path / "photo", ["label", "color", "overlay"])
    writers.write_outputs(paths, photo, result, classes, "photo.jpg", {})
    with Image.open(paths["color"]) as im:
        assert im.mode == "RGB"
        np.testing.assert_array_equal(np.array(im), writers.color_image(labels, classes))
    whole = io.BytesIO()
    Image.fromarray(writers.overlay_image(photo, labels, classes)).save(whole, format="JPEG", quality=90)
    assert paths["overlay"].read_bytes() == whole.getvalue()
    with Image.open(paths["label"]) as im:
        assert im.mode == "P"
        np.testing.assert_array_equal(np.array(im), labels)
