"""Reading every odd file a user's folder can hold: correct RGB or a clear per-file error."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.engine.imageio import IMAGE_EXTENSIONS, ImageReadError, is_image_file, read_image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_bomb_png(path: Path, width: int = 60000, height: int = 60000) -> None:
    """A tiny PNG whose header claims width x height pixels (no real pixel data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
                     + _png_chunk(b"IEND", b""))


def photo(height: int = 24, width: int = 32) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack([xx * 255 // max(1, width - 1), yy * 255 // max(1, height - 1),
                     np.full_like(xx, 90)], -1).astype(np.uint8)


def write_odd_files(folder: Path) -> dict[str, str]:
    """Writes good and bad files; returns {file name: 'good' | 'bad'}."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, str] = {}
    Image.fromarray(photo()).save(folder / "plain.jpg", quality=95)
    kinds["plain.jpg"] = "good"
    full = folder / "full.jpg"
    Image.fromarray(photo(64, 64)).save(full, quality=95)
    data = full.read_bytes()
    full.unlink()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    kinds["truncated.jpg"] = "bad"
    (folder / "empty.jpg").write_bytes(b"")
    kinds["empty.jpg"] = "bad"
    (folder / "notes.jpg").write_text("this is not a picture\n", encoding="utf-8")
    kinds["notes.jpg"] = "bad"
    deep = (np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) * 80)
    Image.fromarray(deep).save(folder / "deep16.png")
    kinds["deep16.png"] = "good"
    Image.fromarray(photo()).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    kinds["cmyk.jpg"] = "good"
    rotated = Image.fromarray(photo(20, 40))
    exif = rotated.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    rotated.save(folder / "rotated.jpg", exif=exif.tobytes(), quality=95)
    kinds["rotated.jpg"] = "good"
    write_bomb_png(folder / "bomb.png")
    kinds["bomb.png"] = "bad"
    return kinds


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
