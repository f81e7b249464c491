"""The bytes of a download kept between tries, beside the destination.

``NAME.part`` holds what arrived before a cancel or a broken connection; ``NAME.part.json``
records the link and the total size, so the next download of the same link resumes from
there (download.py asks the server for the rest) and a partial of another link, or a file
that is not the app's, is never added to or removed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from app import fileio

PART_SUFFIX = ".part"      # the bytes received so far, kept after a cancel or a dropped connection
RECORD_SUFFIX = ".part.json"  # where they came from: a partial is resumed only from the same link
MAX_RECORD_BYTES = 64 * 1024  # a record of ours is a few hundred bytes


def partial_paths(dest: Path) -> tuple[Path, Path]:
    """The partial download of ``dest`` and its record (url and total size)."""
    return dest.with_name(dest.name + PART_SUFFIX), dest.with_name(dest.name + RECORD_SUFFIX)


def recorded_url(record: Path) -> str | None:
    """The link a record of ours names; None for anything else (a user's file, a link, a FIFO)."""
    try:
        if record.is_symlink() or not record.is_file() or record.stat().st_size > MAX_RECORD_BYTES:
            return None
        kept = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(kept, dict) and set(kept) == {"url", "size"} and isinstance(kept["url"], str):
        return kept["url"]
    return None


def write_record(dest: Path, url: str, size: int | None) -> None:
    """Say where ``dest``'s partial comes from, before any byte of it is written."""
    fileio.atomic_write_bytes(partial_paths(dest)[1], json.dumps({"url": url, "size": size}).encode())


def resumable_bytes(url: str, dest: Path) -> int:
    """How many bytes of ``url`` a download to ``dest`` would not fetch again (0: none kept)."""
    part, record = partial_paths(Path(dest))
    try:
        if recorded_url(record) != url or not part.is_file() or part.is_symlink():
            return 0
        return part.stat().st_size
    except OSError:
        return 0


def discard_partial(dest: Path) -> None:
    for path in partial_paths(dest):
        path.unlink(missing_ok=True)


def is_empty_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and path.stat().st_size == 0


def kept_note(part: Path) -> str:
    """The end of a failed download's message: what of it is kept for the next try."""
    try:
        kept = part.stat().st_size if part.is_file() else 0
    except OSError:
        kept = 0
    if not kept:
        return " Nothing was saved."
    return f" The {kept:,} bytes received are kept in {part.name}; the next download resumes from there."


def hash_file(path: Path) -> "hashlib._Hash":
    """The sha256 of the bytes kept so far: the resumed download goes on hashing from there."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest
