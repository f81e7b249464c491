"""What another tool's dataset may hold before the importer acts on it.

COCO and labelme files are written by other programs, or by anyone: a size field
can claim gigapixels (a decompression bomb: the importer would allocate it), a
point can be NaN or so far outside the image that PIL's integer coordinates wrap
round (the polygon silently becomes another one), a name can climb out of the
destination (``../../x``) or be empty, and a listed text file can be a FIFO. Each
check here turns that into an ``ItemError`` (or the given error type) naming the
file and the field, so that one bad entry fails alone and nothing is guessed.
"""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import Any, Sequence

from app.engine.file_kinds import FileTooLargeError, NotRegularFileError, read_regular_bytes
from app.engine.imageio import MAX_PIXELS


class ExportError(ValueError):
    """A problem with the whole export or import (not one file): the message is for the user."""


class ItemError(ValueError):
    """One label map cannot be exported or imported; the others still are."""


# PIL's drawing converts coordinates to C ints; far beyond this it wraps round. No
# annotation tool writes points millions of pixels outside an image.
MAX_COORDINATE = 10_000_000
TEXT_LIMIT = 64 << 20          # an image list, a mapping file, a labelmap.txt
LABELME_LIMIT = 512 << 20      # one labelme JSON (imageData can embed the photo)
COCO_LIMIT = 2 << 30           # a whole COCO annotations file (instances_train2017 is 450 MB)


def read_text_file(path: Path, limit: int = TEXT_LIMIT, error: type[ValueError] = ItemError) -> str:
    """The UTF-8 text of the regular file ``path``; ``error`` with a sentence otherwise
    (missing, a FIFO or a device, too big, unreadable, not UTF-8). Never blocks."""
    try:
        return read_regular_bytes(path, limit).decode("utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except NotRegularFileError as exc:
        raise error(f"{path}: is {exc.kind}, not a regular file; only regular files are read") from None
    except FileTooLargeError as exc:
        raise error(f"{path}: the file is {exc.size / 2**20:.0f} MB, more than the {limit / 2**20:.0f} MB "
                    "a file of this kind may be") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror or exc})") from None


def declared_size(height: Any, width: Any, source: str, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(height, width) of an image as a dataset declares it: whole numbers of at least 1,
    at most ``max_pixels`` together (the image reader's decompression-bomb limit)."""
    try:
        if isinstance(height, bool) or isinstance(width, bool) or height != int(height) or width != int(width):
            raise ValueError
        h, w = int(height), int(width)
    except (TypeError, ValueError, OverflowError):
        raise ItemError(f"{source}: the image size {height!r} x {width!r} is not two whole numbers") from None
    if h < 1 or w < 1:
        raise ItemError(f"{source}: the image size {w} x {h} is not a size (width and height must be at least 1)")
    if h * w > max_pixels:
        raise ItemError(f"{source}: the declared image size {w} x {h} ({h * w / 1e6:.0f} MP) is more than "
                        f"the limit of {max_pixels / 1e6:.0f} MP; refusing to build it (possible "
                        "decompression bomb)")
    return h, w


def coordinate(value: Any, source: str) -> float:
    """One polygon coordinate: a finite number within ``MAX_COORDINATE`` of the image."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ItemError(f"{source}: the coordinate {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ItemError(f"{source}: the coordinate {value!r} is not a finite number")
    if abs(number) > MAX_COORDINATE:
        raise ItemError(f"{source}: the coordinate {value!r} lies far outside any image "
                        f"(more than {MAX_COORDINATE:,} pixels away)")
    return number


def point_pairs(points: Any, source: str) -> list[tuple[float, float]]:
    """labelme's ``points``: a list of [x, y] pairs of coordinates."""
    if not isinstance(points, list):
        raise ItemError(f"{source}: 'points' is not a list of [x, y] pairs")
    pairs = []
    for point in points:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise ItemError(f"{source}: the point {point!r} is not an [x, y] pair")
        pairs.append((coordinate(point[0], source), coordinate(point[1], source)))
    return pairs


def flat_coordinates(values: Any, source: str) -> list[float]:
    """A COCO polygon: a flat list x1, y1, x2, y2, ... of coordinates."""
    if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
        raise ItemError(f"{source}: a polygon is not a list of coordinates")
    if len(values) % 2:
        raise ItemError(f"{source}: a polygon has an odd number ({len(values)}) of coordinates")
    return [coordinate(v, source) for v in values]


def item_name(raw: Any, source: str) -> str:
    """A dataset entry's name as a relative path inside the destination ("sub/photo").

    Refused: empty names, absolute ones, ``..`` anywhere, NUL characters: written as
    given they would land outside the destination or fail at the file system."""
    text = raw.replace("\\", "/") if isinstance(raw, str) else None
    if not text or "\x00" in text:
        raise ItemError(f"{source}: the name {raw!r} is not a file name")
    path = PurePosixPath(text)
    drive = len(text) > 1 and text[0].isalpha() and text[1] == ":"
    if path.is_absolute() or ".." in path.parts or drive:
        raise ItemError(f"{source}: the name {raw!r} points outside the dataset; names must be "
                        "relative paths without '..'")
    if path.as_posix() in ("", "."):
        raise ItemError(f"{source}: the name {raw!r} is not a file name")
    return path.as_posix()
