"""Image files for the reader's tests in every folder: a small photo, odd and broken files,
decompression bombs and a hostile PostScript program."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


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


def hostile_postscript(target: Path) -> bytes:
    """An EPS program that writes ``target`` with Ghostscript's file operator, then loops forever."""
    return (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"
            b"/f (" + str(target).encode() + b") (w) file def f (pwned) writestring f closefile\n"
            b"{ } loop\nshowpage\n")


@pytest.fixture
def eps_spy(monkeypatch):
    """Records any use of PIL's EPS plugin or its Ghostscript call (none may happen)."""
    calls: list[str] = []

    def opened(self, *args, **kwargs):
        calls.append("EpsImageFile._open")
        raise SyntaxError("the EPS plugin must never be reached")

    def ghostscript(*args, **kwargs):
        calls.append("Ghostscript")
        raise OSError("Ghostscript must never run")

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", opened)
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    return calls


def write_gray_bomb_png(path: Path, width: int, height: int) -> None:
    """A tiny 8-bit grayscale PNG (a label map's kind) whose header claims width x height."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
                     + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + png_chunk(b"IEND", b""))


def write_bomb_png(path: Path, width: int = 60000, height: int = 60000) -> None:
    """A tiny PNG whose header claims width x height pixels (no real pixel data)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
                     + png_chunk(b"IEND", b""))
