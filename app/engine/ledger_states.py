"""Whose is the file at an output's name? The ledger's look at one image's outputs.

An output is this run's to adopt ('ours') only when the manifest records exactly that
file (name, size, modification time; a regular file) for that image, written with
this run's model and settings for the image as it is now. Anything else is a reason
the file is in the way. Maps edited by hand say so in their ``NAME.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from app.engine.file_kinds import read_regular_bytes
from app.engine.ledger_manifest import file_signature, source_signature
from app.engine.records import FileRecord, Job

EDITED_KEY = "edited"  # set to true in NAME.json by the label editor when a person changes a map
EDITED_NOTE = "kept: edited by hand"  # how a kept edited image's record note begins
MAX_RECORD_BYTES = 16 << 20  # a NAME.json bigger than this is not one this project wrote
OURS, MISSING = "ours", "missing"


def kept_as_edited(record: FileRecord) -> bool:
    return any(note.startswith(EDITED_NOTE) for note in record.notes)


def read_record(record: Path) -> dict[str, Any] | None:
    """The ``NAME.json`` record ``segment`` (or the editor) wrote beside a label map, or None
    when it is missing, not a regular file (a FIFO is never waited on), bigger than any record
    this app writes (``MAX_RECORD_BYTES``, the ledger's limit too), or not a JSON object.
    The one reader of records: the ledger's edited check, a lost worker's recovery, the review,
    the confidence sort and the editor's save."""
    try:
        data = json.loads(read_regular_bytes(record, MAX_RECORD_BYTES).decode("utf-8"))
    except (OSError, ValueError):  # FileTooLargeError, NotRegularFileError; UnicodeDecodeError
        return None
    return data if isinstance(data, dict) else None


def is_edited(json_path: Path) -> bool:
    """True when ``NAME.json`` is a record marked ``"edited": true``."""
    data = read_record(json_path)
    return data is not None and data.get(EDITED_KEY) is True


def edited_since_written(json_path: Path, entry: dict[str, Any] | None) -> bool:
    """``is_edited``, without reading a NAME.json that is still as this app wrote it."""
    signature = file_signature(json_path)
    recorded = entry.get("files", {}).get("json") if isinstance(entry, dict) else None
    if signature is None or (recorded is not None and list(recorded) == [json_path.name, *signature]):
        return False
    return is_edited(json_path)


def output_state(job: Job, fmt: str, path: Path, entry: dict[str, Any] | None, key: str) -> str:
    """OURS, MISSING, or why the file at ``path`` is not this run's to adopt; ``entry`` is
    the manifest's latest line for the image, ``key`` this run's identity."""
    signature = file_signature(path)
    if signature is None:
        if not os.path.lexists(path):
            return MISSING
        return "is a symbolic link" if path.is_symlink() else "is a folder" if path.is_dir() \
            else "is not a regular file"
    if not isinstance(entry, dict):
        return "was not written by this app"
    recorded = entry.get("files", {}).get(fmt)
    if recorded is None or recorded[0] != path.name:
        return "was not written by this app"
    if list(recorded[1:]) != signature:
        return "has changed since this app wrote it"
    if entry.get("identity") != key:
        return "was written with another model or other settings"
    try:
        current = source_signature(job.source)
    except OSError:
        return "belongs to an image that cannot be read now"
    if entry.get("source") != current["source"]:
        return f"was written for another image ({entry.get('source')})"
    if [entry.get("source_size"), entry.get("source_mtime_ns")] != [current["source_size"],
                                                                  current["source_mtime_ns"]]:
        return "was written before the image changed"
    return OURS
