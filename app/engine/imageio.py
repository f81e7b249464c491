"""The one image reader: photos as (H, W, 3) uint8 RGB, label maps as class indices.

Every image the project reads (segment, evaluate's images and labels, train --data, the
window, thumbnails, saved labels) comes through here, so three rules hold everywhere:

- Decoding runs nothing. Only an allow-list of raster formats is tried
  (``Image.open(fp, formats=ALLOWED_FORMATS)``); PIL's EPS plugin, which hands the file
  to Ghostscript, is never reached, whatever the file is named.
- Only regular files are read. The path is opened with ``O_NONBLOCK`` and the open
  descriptor is checked, so a FIFO, a device or a socket (also one swapped in after a
  folder was listed) is a per-file failure, never a hang.
- Pixel limits are checked on the header, before any pixel is decoded, for label maps
  as for photos.

Every odd file (truncated, empty, not an image, 16-bit, CMYK, palette, EXIF-rotated,
a header claiming gigapixels) becomes a correct array or an ``ImageReadError`` that names
the file and what it really is.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Callable, TypeVar, cast

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.engine.binary_masks import BlackWhiteMasks
from app.engine.cancel import check_cancel
from app.engine.file_kinds import (SNIFF_BYTES, NotRegularFileError, content_description, format_name,
                                   open_regular, readable_format)

IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif",
                                     ".ppm", ".pgm", ".pnm")

# PIL format ids the reader opens. All are decoded by PIL's own C code or the libraries
# it links (libjpeg, libpng, libtiff, libwebp); none calls an external program. "JPEG"
# also opens MPO, the multi-picture JPEG many phones write (PIL's JPEG opener returns
# it); PPM covers PBM/PGM/PPM/PNM.
ALLOWED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "TIFF", "BMP", "WEBP", "GIF", "PPM")
READS = "PNG, JPEG, TIFF, BMP, WebP, GIF and PPM/PGM"

# Decompression-bomb guard: checked on the header before any pixel is decoded.
# 100 MP holds a 10000 x 10000 photo (300 MB as RGB) and stops files that would
# need gigabytes; PIL's own limit (about 179 MP hard, warning at 89 MP) is
# replaced by this one so the message is ours.
MAX_PIXELS = 100_000_000

# Modes of a label map: one class index per pixel. "1" is a 1-bit mask (what label tools
# write for binary masks): its bits are classes 0 and 1, never 0/255 (255 is ignore here).
LABEL_MODES_8BIT = ("L", "P")
LABEL_MODE_1BIT = "1"
LABEL_MODES_16BIT = ("I;16", "I;16L", "I;16B", "I;16N")
# Modes PIL's convert('RGB') would clip at 255: _to_rgb scales them instead.
WIDE_MODES = (*LABEL_MODES_16BIT, "I", "F")

_T = TypeVar("_T")

LABEL_MAP_KINDS = "1-bit, 8-bit palette or grayscale, or 16-bit grayscale"
COLOUR_MODES = ("RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "LAB", "HSV")
# What an image that is no label map holds, and how to make it one.
NOT_LABEL_MODES = {
    "LA": "grayscale with an alpha channel; save it without the alpha channel",
    "La": "grayscale with an alpha channel; save it without the alpha channel",
    "PA": "palette with an alpha channel; save it without the alpha channel",
    "F": "floating-point values; class indices are whole numbers: save it as 8- or 16-bit grayscale",
}


class ImageReadError(ValueError):
    """A file could not be read as an image; the message is meant for the user."""


def is_image_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def read_image(path: str | Path, max_pixels: int = MAX_PIXELS,
               cancel: threading.Event | None = None) -> np.ndarray:
    """Decode ``path`` (first frame), apply EXIF orientation, return RGB uint8.

    ``cancel`` is checked before each block the decoder reads (64 KB of a JPEG), so a
    big photo's decode stops early with ``Cancelled``."""
    def decode(im: Image.Image) -> np.ndarray:
        im.seek(0)  # GIF/TIFF: first frame
        im.load()
        # in place: without an orientation tag exif_transpose would return a whole copy
        ImageOps.exif_transpose(im, in_place=True)
        return _to_rgb(im)
    return _decode(Path(path), max_pixels, decode, cancel)


def read_thumbnail(path: str | Path, width: int, height: int, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A small RGB uint8 copy that fits in ``width`` x ``height``, EXIF orientation applied.

    JPEGs are decoded at a reduced scale (``draft``), so a folder of photos is cheap.
    16-bit and float images are scaled to 8 bits as ``read_image`` does (PIL's own
    conversion clips them at 255: a 16-bit photo came out white).
    """
    def decode(im: Image.Image) -> np.ndarray:
        im.seek(0)
        im.draft("RGB", (width * 2, height * 2))
        im.load()
        oriented = ImageOps.exif_transpose(im)
        source = oriented if oriented is not None else im
        if source.mode in WIDE_MODES:  # subsampled first: the float scaling of every pixel is not needed
            values = np.asarray(source)
            step = max(1, min(values.shape[0] // height, values.shape[1] // width) // 2)
            source = Image.fromarray(_to_rgb(Image.fromarray(np.ascontiguousarray(values[::step, ::step]))))
        small = source.convert("RGB")
        small.thumbnail((width, height))
        return np.array(small, dtype=np.uint8)
    return _decode(Path(path), max_pixels, decode)


def read_label_map(path: str | Path, max_pixels: int = MAX_PIXELS,
                   masks: BlackWhiteMasks | None = None) -> np.ndarray:
    """(H, W) class indices of a label image: uint8 from an 8-bit palette or grayscale
    image or from a 1-bit mask (classes 0 and 1), uint16 from a 16-bit grayscale one.
    Colour images are refused (a colour rendering is not a label map), and so is anything
    else that holds no class index per pixel, naming what it holds; no EXIF rotation.
    ``masks``, when given, is shown each map read (a greyscale one of only 0 and 255 is
    noted there for a warning; the values are read as they are)."""
    path = Path(path)

    def decode(im: Image.Image) -> np.ndarray:
        labels = class_indices(im)
        if masks is not None:
            masks.look(path, im.mode, labels)
        return labels

    def class_indices(im: Image.Image) -> np.ndarray:
        if im.mode in LABEL_MODES_8BIT:
            return np.array(im, dtype=np.uint8)
        if im.mode == LABEL_MODE_1BIT:  # the bits themselves: convert("L") would give 0/255
            return np.array(im).astype(np.uint8)
        if im.mode in LABEL_MODES_16BIT:
            return np.array(im).astype(np.uint16)
        if im.mode == "I":  # 16-bit PNGs in older Pillow, 32-bit TIFFs
            values = np.array(im)
            if values.size and (values.min() < 0 or values.max() > 65535):
                raise ImageReadError(f"{path}: label values range from {values.min()} to {values.max()}; "
                                     "class indices must lie in 0-65535")
            return values.astype(np.uint16)
        raise ImageReadError(_not_a_label_map(path, im.mode))
    return _decode(path, max_pixels, decode)


def _not_a_label_map(path: Path, mode: str) -> str:
    """Why an image of ``mode`` is no label map, and what is expected instead."""
    start = f"{path}: a label map holds one class index per pixel ({LABEL_MAP_KINDS}), but this image's mode is {mode}"
    if mode in NOT_LABEL_MODES:
        return f"{start} ({NOT_LABEL_MODES[mode]})."
    if mode in COLOUR_MODES:
        return f"{start} (colour). A colour rendering such as NAME_color.png cannot be read as labels."
    return f"{start}; save it as one of those to read it as labels."


def _open_regular_file(path: Path) -> BinaryIO:
    """``path`` opened for reading, or an ``ImageReadError`` if it is not a regular file
    (checked on the open descriptor: a FIFO swapped in after listing never blocks)."""
    try:
        return open_regular(path)
    except NotRegularFileError as exc:
        if exc.kind == "a folder":
            raise ImageReadError(f"{path}: is a folder, expected an image file") from None
        raise ImageReadError(f"{path}: is {exc.kind}, not a regular file; only regular files are read") from None
    except FileNotFoundError:
        raise ImageReadError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path}: is a folder, expected an image file") from None
    except PermissionError:
        raise ImageReadError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot open the file ({exc.strerror or exc})") from None


class _CancellableReader:
    """``file`` for PIL, raising ``Cancelled`` at the next read once ``cancel`` is set."""

    def __init__(self, file: BinaryIO, cancel: threading.Event) -> None:
        self._file, self._cancel = file, cancel

    def read(self, size: int = -1) -> bytes:
        check_cancel(self._cancel)
        return self._file.read(size)

    def __getattr__(self, name: str) -> Any:  # seek, tell, ...: the file's own
        return getattr(self._file, name)


def _decode(path: Path, max_pixels: int, decode: Callable[[Image.Image], _T],
            cancel: threading.Event | None = None) -> _T:
    """Open ``path`` with the allowed formats only, check its size, then ``decode`` it."""
    with _open_regular_file(path) as file:
        source = file if cancel is None else cast(BinaryIO, _CancellableReader(file, cancel))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(source, formats=ALLOWED_FORMATS) as im:
                    width, height = im.size
                    if width * height > max_pixels:
                        raise ImageReadError(
                            f"{path}: image is {width} x {height} ({width * height / 1e6:.0f} MP), more "
                            f"than the limit of {max_pixels / 1e6:.0f} MP; refusing to decode it "
                            "(possible decompression bomb). Downscale it first.")
                    return decode(im)
        except ImageReadError:
            raise
        except UnidentifiedImageError:
            raise ImageReadError(_refusal(path, file)) from None
        except Image.DecompressionBombError:
            raise ImageReadError(f"{path}: the image header claims far more than the limit of "
                                 f"{max_pixels / 1e6:.0f} MP; refusing to decode it (possible "
                                 "decompression bomb)") from None
        except MemoryError:
            raise ImageReadError(f"{path}: not enough memory to decode this image") from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
            detail = str(exc) or type(exc).__name__
            if "truncated" in detail.lower():
                detail = "the file is truncated (incomplete download or copy?)"
            raise ImageReadError(f"{path}: could not decode the image: {detail}") from None


def _refusal(path: Path, file: BinaryIO) -> str:
    """Why no allowed format would open the file, naming what it really is."""
    try:
        file.seek(0)
        head = file.read(SNIFF_BYTES)
    except OSError:
        head = b""
    if not head:
        return f"{path}: empty file (0 bytes); expected an image ({READS})"
    named = format_name(head)
    if named:
        suffix = f", although its name ends in {path.suffix}" if path.suffix else ""
        return (f"{path}: the file is {named}{suffix}; {named} is not an image format this app "
                f"reads (it reads {READS}). Convert it to PNG or JPEG first.")
    damaged = readable_format(head)
    if damaged:
        return f"{path}: the file starts like a {damaged} image but its header is damaged"
    return (f"{path}: not an image file (it holds {content_description(head)}); expected one of "
            f"{READS}")


def _to_rgb(im: Image.Image) -> np.ndarray:
    """Convert any PIL mode to RGB uint8 without clipping wide-range data."""
    mode = im.mode
    if mode in LABEL_MODES_16BIT or mode == "I":
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
    rgb = im if im.mode == "RGB" else im.convert("RGB")
    return _rows_to_array(rgb)


# Rows copied out of PIL per step when building the photo's array (about 8 MB of them).
COPY_BYTES = 8 << 20


def _rows_to_array(rgb: Image.Image) -> np.ndarray:
    """A writable (H, W, 3) uint8 copy the caller owns, filled a band of rows at a time.

    ``np.array(image)`` goes through ``tobytes()``, a whole extra copy of the photo, and
    ``convert('RGB')`` of an RGB image another (PIL keeps 4 bytes per pixel): for an
    8000 x 6000 photo that was 300 MB more at the read, the peak of a label-only run.
    """
    width, height = rgb.size
    out = np.empty((height, width, 3), dtype=np.uint8)
    step = max(1, COPY_BYTES // max(1, 3 * width))
    for top in range(0, height, step):
        bottom = min(height, top + step)
        band = rgb.crop((0, top, width, bottom)).tobytes()
        out[top:bottom] = np.frombuffer(band, dtype=np.uint8).reshape(bottom - top, width, 3)
    return out
