"""Decoding runs nothing: only allowed raster formats, only regular files, pixel limits on
labels too. A hostile PostScript file named like a photo never reaches PIL's EPS plugin
(which would hand it to Ghostscript), whatever is installed on the machine."""

from __future__ import annotations

import ast
import os
import socket
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.engine.imageio import (ImageReadError, is_image_file, read_image, read_label_map,
                                read_thumbnail)
from tests.image_files import eps_spy, hostile_postscript, photo, write_gray_bomb_png  # noqa: F401 - a fixture

APP = Path(__file__).resolve().parents[2] / "app"
READERS = (read_image, read_label_map, lambda p: read_thumbnail(p, 72, 54))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["clobber.png", "x.jpg"])
def test_hostile_postscript_is_refused_before_any_plugin_sees_it(tmp_path, eps_spy, name):
    target = tmp_path / "written_by_ghostscript.txt"
    hostile = tmp_path / name
    hostile.write_bytes(hostile_postscript(target))
    for reader in READERS:
        with pytest.raises(ImageReadError, match="PostScript is not an image format this app reads") as info:
            reader(hostile)
        assert name in str(info.value)
    assert eps_spy == []
    assert not target.exists()


def test_other_formats_are_named(tmp_path):
    cases = {"doc.png": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "drawing.png": b"<svg xmlns='x'></svg>",
             "phone.jpg": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "layers.tif": b"8BPS\x00\x01",
             "weights.png": b"PK\x03\x04\x14\x00", "readme.jpg": b"just some words\n"}
    expected = {"doc.png": "PDF is not an image format", "drawing.png": "SVG",
                "phone.jpg": "HEIC is not an image format", "layers.tif": "Photoshop (PSD) is not",
                "weights.png": "ZIP archive", "readme.jpg": "not an image file (it holds text)"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageReadError, match=expected[name].replace("(", r"\(").replace(")", r"\)")):
            read_image(tmp_path / name)


def test_a_damaged_png_is_called_damaged(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ImageReadError, match="starts like a PNG image but its header is damaged"):
        read_image(tmp_path / "bad.png")


def test_formats_users_have_are_still_read(tmp_path):
    Image.fromarray(photo()).save(tmp_path / "pic.ppm")
    Image.fromarray(photo()[:, :, 1]).save(tmp_path / "pic.pgm")
    frame = Image.fromarray(photo())
    frame.save(tmp_path / "phone.jpg", format="MPO", save_all=True, append_images=[frame], quality=95)
    assert np.array_equal(read_image(tmp_path / "pic.ppm"), photo())
    assert np.array_equal(read_image(tmp_path / "pic.pgm")[:, :, 0], photo()[:, :, 1])
    with Image.open(tmp_path / "phone.jpg") as im:
        assert im.format == "MPO"  # the multi-picture JPEG phones write
    assert np.abs(read_image(tmp_path / "phone.jpg").astype(int) - photo().astype(int)).mean() < 12
    assert is_image_file("a.PGM") and is_image_file("b.ppm")


@pytest.mark.timeout(30)
def test_special_files_fail_fast(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # no writer: a blocking open would wait forever
    for reader in READERS:
        with pytest.raises(ImageReadError, match=r"named pipe \(FIFO\), not a regular file"):
            reader(fifo)
    with pytest.raises(ImageReadError, match="is a device"):
        read_image("/dev/zero")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(ImageReadError, match="is a folder"):
        read_image(tmp_path / "folder.png")
    sock_path = tmp_path / "s.png"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(sock_path))
        with pytest.raises(ImageReadError, match="socket"):
            read_image(sock_path)
    finally:
        server.close()


@pytest.mark.timeout(30)
def test_a_fifo_swapped_in_after_listing_fails_fast(tmp_path):
    photo_path = tmp_path / "a.png"
    Image.fromarray(photo()).save(photo_path)
    planned = [p for p in tmp_path.iterdir() if p.is_file() and is_image_file(p)]
    assert planned == [photo_path]
    photo_path.unlink()
    os.mkfifo(photo_path)  # replaced between planning and reading
    with pytest.raises(ImageReadError, match="named pipe"):
        read_image(planned[0])


@pytest.mark.timeout(30)
def test_a_fifo_swapped_in_between_the_check_and_the_open_fails_fast(tmp_path, monkeypatch):
    """The type seen before opening was a regular file's; the open descriptor tells the truth."""
    import app.engine.file_kinds as file_kinds

    fifo = tmp_path / "a.png"
    os.mkfifo(fifo)
    monkeypatch.setattr(file_kinds, "_kind_before_opening", lambda path: None)
    with pytest.raises(ImageReadError, match=r"named pipe \(FIFO\)"):
        read_image(fifo)
    with pytest.raises(ImageReadError, match="is a device"):
        read_image("/dev/null")


def test_label_maps(tmp_path):
    indices = (np.arange(24 * 32).reshape(24, 32) % 7).astype(np.uint8)
    palette = Image.fromarray(indices, "P")
    palette.putpalette([v for i in range(7) for v in (i * 30, 255 - i * 30, 9)])
    palette.save(tmp_path / "pal.png")
    Image.fromarray(indices).save(tmp_path / "gray.png")
    wide = (np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) * 50)
    Image.fromarray(wide).save(tmp_path / "wide.png")
    for name in ("pal.png", "gray.png"):
        labels = read_label_map(tmp_path / name)
        assert labels.dtype == np.uint8 and np.array_equal(labels, indices)
    labels = read_label_map(tmp_path / "wide.png")
    assert labels.dtype == np.uint16 and np.array_equal(labels, wide)
    Image.fromarray(photo()).save(tmp_path / "img_color.png")
    with pytest.raises(ImageReadError, match="mode is RGB.*cannot be read as labels"):
        read_label_map(tmp_path / "img_color.png")


def test_pixel_limit_applies_to_label_maps(tmp_path):
    write_gray_bomb_png(tmp_path / "huge.png", 30000, 30000)
    with pytest.raises(ImageReadError, match=r"huge.png: .*more than the limit of 100 MP"):
        read_label_map(tmp_path / "huge.png")
    small = (np.arange(100 * 100).reshape(100, 100) % 5).astype(np.uint8)
    Image.fromarray(small).save(tmp_path / "small.png")
    with pytest.raises(ImageReadError, match="limit"):
        read_label_map(tmp_path / "small.png", max_pixels=5000)


def test_thumbnails_are_small_and_oriented(tmp_path):
    Image.fromarray(photo(400, 600)).save(tmp_path / "big.jpg", quality=95)
    thumb = read_thumbnail(tmp_path / "big.jpg", 72, 54)
    assert thumb.dtype == np.uint8 and thumb.shape == (48, 72, 3)
    rotated = Image.fromarray(photo(20, 40))
    exif = rotated.getexif()
    exif[0x0112] = 6
    rotated.save(tmp_path / "rotated.jpg", exif=exif.tobytes(), quality=95)
    assert read_thumbnail(tmp_path / "rotated.jpg", 72, 54).shape == (40, 20, 3)  # never enlarged


def _opens_images(path: Path) -> bool:
    """Does the module call ``Image.open`` (PIL) itself?"""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "open"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "Image"):
            return True
    return False


def test_one_reader_opens_every_image():
    readers = sorted(str(p.relative_to(APP)) for p in APP.rglob("*.py") if _opens_images(p))
    assert readers == ["engine/imageio.py"]
