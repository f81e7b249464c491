"""What a file really is, and opening only regular files.

The image reader opens only an allow-list of raster formats; when a file is refused,
the user should learn what it is ("PostScript", "a named pipe (FIFO)") rather than a
bare "cannot identify". Nothing here decodes anything: it compares a few leading bytes
with known signatures and reads ``st_mode``. ``open_regular`` is how the image reader
and the model-card reader open files, so that a FIFO or a device never blocks them.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

# (offset, signature, name). A name that reads as a format ("PostScript") is used in
# "X is not an image format this app reads"; the others say what the file holds.
FORMAT_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xc5\xd0\xd3\xc6", "Encapsulated PostScript"),
    (0, b"%!PS-Adobe-3.0 EPSF", "Encapsulated PostScript"),
    (0, b"%!", "PostScript"),
    (0, b"%PDF", "PDF"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (0, b"\xff\x4f\xff\x51", "JPEG 2000"),
    (4, b"ftypavif", "AVIF"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypmsf1", "HEIF"),
    (0, b"8BPS", "Photoshop (PSD)"),
    (0, b"gimp xcf", "GIMP (XCF)"),
    (0, b"\x00\x00\x01\x00", "Windows icon (ICO)"),
    (0, b"icns", "Apple icon (ICNS)"),
    (0, b"DDS ", "DirectDraw Surface (DDS)"),
    (0, b"qoif", "QOI"),
    (0, b"SIMPLE  =", "FITS"),
    (0, b"\x89HDF", "HDF5"),
    (0, b"GRIB", "GRIB"),
    (0, b"BUFR", "BUFR"),
    (0, b"\xd7\xcd\xc6\x9a", "Windows Metafile (WMF)"),
    (40, b" EMF", "Enhanced Metafile (EMF)"),
    (0, b"\x01\xda", "SGI"),
    (0, b"\x59\xa6\x6a\x95", "Sun raster"),
)
CONTENT_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"PK\x03\x04", "a ZIP archive (an office document, or PyTorch weights, are stored as one)"),
    (0, b"\x1f\x8b", "gzip-compressed data"),
    (0, b"\x7fELF", "a program (ELF executable)"),
    (0, b"MZ", "a Windows program"),
    (0, b"#!", "a script"),
    (4, b"ftyp", "a video (MP4/QuickTime)"),
    (8, b"AVI ", "a video (AVI)"),
    (8, b"WAVE", "audio (WAV)"),
    (0, b"ID3", "audio (MP3)"),
    (0, b"\x1a\x45\xdf\xa3", "a video (Matroska/WebM)"),
)
# Formats the reader opens: a file that starts like one of these but is refused is damaged.
READABLE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"), (b"BM", "BMP"), (b"GIF8", "GIF"),
)
SNIFF_BYTES = 64


def _matches(head: bytes, table: tuple[tuple[int, bytes, str], ...]) -> str | None:
    return next((name for offset, sig, name in table if head[offset:offset + len(sig)] == sig), None)


def format_name(head: bytes) -> str | None:
    """The name of a known non-readable format the bytes start with ("PostScript"), or None."""
    return _matches(head, FORMAT_SIGNATURES)


def readable_format(head: bytes) -> str | None:
    """"PNG", "JPEG", ... when the bytes start like a format the reader opens."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((name for sig, name in READABLE_SIGNATURES if head.startswith(sig)), None)


def content_description(head: bytes) -> str:
    """What a file that is no image holds, as a noun phrase ("a text file")."""
    found = _matches(head, CONTENT_SIGNATURES)
    if found:
        return found
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:5].lower() in (b"<?xml", b"<svg ", b"<svg>") or text[:4].lower() == b"<svg":
        return "XML or SVG text (vector drawings are not read)"
    if text[:1] == b"<":
        return "HTML or XML text"
    if text[:1] == b"{" or (text[:1] == b"[" and text[1:].lstrip()[:1] in (b"{", b"[", b'"', b"]")):
        return "JSON text"
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        decoded = ""
        if len(head) == SNIFF_BYTES:  # a multi-byte character may be cut at the end
            try:
                decoded = head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                pass
    if decoded and all(c.isprintable() or c in "\r\n\t" for c in decoded):
        return "text"
    return "data of an unknown kind"


def special_file_kind(mode: int) -> str | None:
    """"a folder", "a named pipe (FIFO)", ... for anything but a regular file; None for one."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


class NotRegularFileError(OSError):
    """The path is a FIFO, a device, a socket or a folder; ``kind`` says which."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path}: is {kind}, not a regular file")
        self.kind = kind


def _kind_before_opening(path: Path) -> str | None:
    """The type as listed now; the open descriptor is checked again (it may change)."""
    return special_file_kind(os.stat(path).st_mode)


def open_regular(path: str | Path) -> BinaryIO:
    """``path`` opened for binary reading, or NotRegularFileError; other OSErrors pass.

    The type is checked before opening (opening a device can act, e.g. rewind a tape)
    and again on the open descriptor: ``O_NONBLOCK`` makes opening a FIFO swapped in
    meanwhile return at once instead of waiting for a writer, and fstat catches it.
    """
    path = Path(path)
    kind = _kind_before_opening(path)
    if kind is not None:
        raise NotRegularFileError(path, kind)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a device without its driver
            raise NotRegularFileError(path, "a socket or a device") from None
        raise
    try:
        kind = special_file_kind(os.fstat(fd).st_mode)
    except OSError:
        os.close(fd)
        raise
    if kind is not None:
        os.close(fd)
        raise NotRegularFileError(path, kind)
    return os.fdopen(fd, "rb")


class FileTooLargeError(OSError):
    """A regular file bigger than its reader allows; ``size`` and ``limit`` in bytes."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"{path}: the file is {size / 2**20:.1f} MB, more than the {limit / 2**20:.0f} MB allowed")
        self.size, self.limit = size, limit


def read_regular_bytes(path: str | Path, limit: int) -> bytes:
    """All bytes of the regular file ``path``, at most ``limit`` of them.

    NotRegularFileError for a FIFO, a device, a socket or a folder (never a hang),
    FileTooLargeError past ``limit`` (also for a file that grows while it is read),
    other OSErrors as they come. The text files of other tools' datasets (COCO and
    labelme JSON, image lists, mapping files) and model cards are read through this."""
    path = Path(path)
    with open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:
            raise FileTooLargeError(path, size, limit)
        data = file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(path, len(data), limit)
    return data
