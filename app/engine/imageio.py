"""Reading user images into (H, W, 3) uint8 RGB arrays, or a clear per-file error.

Every odd file a folder can hold (truncated, empty, not an image, 16-bit, CMYK,
palette, rotated by EXIF, a header claiming gigapixels) either becomes a correct
RGB array or an ``ImageReadError`` naming the file and what went wrong.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")

# Decompression-bomb guard: checked on the header before any pixel is decoded.
# 100 MP holds a 10000 x 10000 photo (300 MB as RGB) and stops files that would
# need gigabytes; PIL's own limit (about 179 MP hard, warning at 89 MP) is
# replaced by this one so the message is ours.
MAX_PIXELS = 100_000_000


class ImageReadError(ValueError):
    """A file could not be read as an image; the message is meant for the user."""


def is_image_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def read_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode ``path`` (first frame), apply EXIF orientation, return RGB uint8."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                if width * height > max_pixels:
                    raise ImageReadError(
                        f"{path}: image is {width} x {height} ({width * height / 1e6:.0f} MP), more than "
                        f"the limit of {max_pixels / 1e6:.0f} MP; refusing to decode it (possible "
                        "decompression bomb). Downscale it first.")
                im.seek(0)  # GIF/TIFF: first frame
                im.load()
                oriented = ImageOps.exif_transpose(im)
                return _to_rgb(oriented if oriented is not None else im)
    except ImageReadError:
        raise
    except FileNotFoundError:
        raise ImageReadError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path}: is a folder, expected an image file") from None
    except PermissionError:
        raise ImageReadError(f"{path}: permission denied") from None
    except UnidentifiedImageError:
        size = path.stat().st_size if path.exists() else 0
        what = "empty file (0 bytes)" if size == 0 else "not an image file, or a format that is not supported"
        raise ImageReadError(f"{path}: {what}; expected one of {', '.join(IMAGE_EXTENSIONS)}") from None
    except Image.DecompressionBombError:
        raise ImageReadError(f"{path}: the image header claims far more than the limit of "
                             f"{max_pixels / 1e6:.0f} MP; refusing to decode it (possible "
                             "decompression bomb)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        detail = str(exc) or type(exc).__name__
        if "truncated" in detail.lower():
            detail = "the file is truncated (incomplete download or copy?)"
        raise ImageReadError(f"{path}: could not decode the image: {detail}") from None


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Convert any PIL mode to RGB uint8 without clipping wide-range data."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grayscale (PNG/TIFF): PIL's convert('RGB') would clip at 255;
        # scale the full 0-65535 range down instead.
        values = np.asarray(im, dtype=np.float64)
        gray = np.clip(np.rint(values / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "F":
        values = np.asarray(im, dtype=np.float64)
        if values.size and np.nanmax(values) <= 1.0:
            values = values * 255.0
        gray = np.clip(np.rint(np.nan_to_num(values)), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    # Alpha is dropped (the stored colours are kept): the network sees what is
    # painted, whatever viewer background the file assumes.
    rgb = im.convert("RGB")
    return np.array(rgb, dtype=np.uint8)  # a writable copy the caller owns
