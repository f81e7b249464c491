"""Reading every odd file a user's folder can hold: correct RGB or a clear per-file error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.engine.imageio import IMAGE_EXTENSIONS, ImageReadError, is_image_file, read_image
from tests.image_files import photo, write_odd_files


def test_extensions():
    assert {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"} <= set(IMAGE_EXTENSIONS)
    assert is_image_file("a/B.JPG") and not is_image_file("notes.txt")


def test_odd_files(tmp_path):
    write_odd_files(tmp_path)
    plain = read_image(tmp_path / "plain.jpg")
    assert plain.shape == (24, 32, 3) and plain.dtype == np.uint8

    deep = read_image(tmp_path / "deep16.png")
    expected = np.rint(np.arange(24 * 32).reshape(24, 32) * 80 / 257).astype(np.uint8)
    assert deep.shape == (24, 32, 3) and np.array_equal(deep[:, :, 0], expected)
    assert deep.max() > 200  # not clipped to 255 everywhere, not all dark

    cmyk = read_image(tmp_path / "cmyk.jpg")
    assert cmyk.shape == (24, 32, 3)
    assert np.abs(cmyk.astype(int) - photo().astype(int)).mean() < 12  # colours survive the round trip

    rotated = read_image(tmp_path / "rotated.jpg")
    assert rotated.shape == (40, 20, 3)  # EXIF orientation applied
    # orientation 6: the stored left column becomes the displayed top row
    source = photo(20, 40)
    assert np.abs(rotated[0].astype(int) - source[::-1, 0].astype(int)).mean() < 12

    for name, words in [("truncated.jpg", "truncated"), ("empty.jpg", "empty"),
                        ("notes.jpg", "not an image"), ("bomb.png", "decompression bomb"),
                        ("missing.jpg", "not found")]:
        with pytest.raises(ImageReadError, match=words) as info:
            read_image(tmp_path / name)
        assert name in str(info.value)


def test_modes_are_converted(tmp_path):
    rgba = np.dstack([photo(), np.full((24, 32), 7, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.png")
    assert np.array_equal(read_image(tmp_path / "alpha.png"), photo())
    Image.fromarray(photo()[:, :, 0]).save(tmp_path / "gray.png")
    gray = read_image(tmp_path / "gray.png")
    assert gray.shape == (24, 32, 3) and np.array_equal(gray[:, :, 1], photo()[:, :, 0])
    Image.fromarray(photo()).convert("P").save(tmp_path / "pal.gif")
    assert read_image(tmp_path / "pal.gif").shape == (24, 32, 3)
    Image.fromarray(photo()).save(tmp_path / "pic.bmp")
    Image.fromarray(photo()).save(tmp_path / "pic.tif")
    Image.fromarray(photo()).save(tmp_path / "pic.webp", lossless=True)
    for name in ("pic.bmp", "pic.tif", "pic.webp"):
        assert np.array_equal(read_image(tmp_path / name), photo())


def test_pixel_limit_is_ours(tmp_path):
    Image.fromarray(photo(100, 100)).save(tmp_path / "big.png")
    with pytest.raises(ImageReadError, match="limit"):
        read_image(tmp_path / "big.png", max_pixels=5000)
    assert read_image(tmp_path / "big.png").shape == (100, 100, 3)
