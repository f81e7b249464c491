"""Review state of each image (unreviewed, accepted, needs work), kept in ``review.json``.

The file lives in the label folder beside the label maps. Every change is written
at once, atomically (app.fileio), and merged with what is on disk, so two windows
on one folder keep each other's marks. A file that is not ours (unreadable, not JSON,
another tool's format, a newer version) is reported and never written over: the
store then keeps marks in memory only and says so.
"""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Iterable

from app.engine.file_kinds import FileTooLargeError, NotRegularFileError, read_regular_bytes
from app.fileio import atomic_write_bytes

REVIEW_FILE = "review.json"
FORMAT = "pspnet-studio-review"
VERSION = 1
LIMIT_BYTES = 64 * 1024 * 1024  # marks of half a million images; bigger is not a review file of ours


class ReviewState(str, Enum):
    UNREVIEWED = "unreviewed"
    ACCEPTED = "accepted"
    NEEDS_WORK = "needs_work"

    @property
    def title(self) -> str:  # type: ignore[override]  # the state's display name, not str.title()
        return self.value.replace("_", " ")


class ReviewFileError(ValueError):
    """``review.json`` cannot be used; the message is meant for the user."""


def _parse(data: bytes, path: Path) -> dict[str, dict]:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReviewFileError(f"{path} is not valid JSON ({exc}); it is left as it is and review "
                              "marks are not saved") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ReviewFileError(f"{path} is not a PSPNet Studio review file (no \"format\": \"{FORMAT}\"); "
                              "it is left as it is and review marks are not saved")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise ReviewFileError(f"{path} has version {doc.get('version')!r}; this app reads version {VERSION}. "
                              "It is left as it is and review marks are not saved")
    images = doc.get("images", {})
    if not isinstance(images, dict):
        raise ReviewFileError(f"{path}: \"images\" is not an object; it is left as it is")
    entries: dict[str, dict] = {}
    for name, entry in images.items():
        if isinstance(entry, dict) and entry.get("state") in {s.value for s in ReviewState}:
            entries[str(name)] = dict(entry)
    return entries


class ReviewStore:
    """Review marks of the images of one folder, keyed by file name (posix path relative
    to the image folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / REVIEW_FILE
        self.error: str | None = None  # set when the file on disk is not usable: nothing is written
        self._entries: dict[str, dict] = {}
        self._changed: set[str] = set()
        self._entries = self._read()

    def _read(self) -> dict[str, dict]:
        try:  # one open, as a regular file only: a FIFO swapped in after a check would block
            return _parse(read_regular_bytes(self.path, LIMIT_BYTES), self.path)
        except FileNotFoundError:
            return {}
        except NotRegularFileError as exc:
            self.error = f"{self.path} is {exc.kind}, not a regular file; review marks are not saved"
        except FileTooLargeError as exc:
            self.error = (f"{self.path} is {exc.size / 2**20:.0f} MB, more than a review file of this app "
                          "can be; it is left as it is and review marks are not saved")
        except ReviewFileError as exc:
            self.error = str(exc)
        except OSError as exc:
            self.error = f"{self.path} could not be read ({exc}); review marks are not saved"
        return {}

    @property
    def writable(self) -> bool:
        return self.error is None

    def state(self, name: str) -> ReviewState:
        entry = self._entries.get(name)
        return ReviewState(entry["state"]) if entry else ReviewState.UNREVIEWED

    def marks(self) -> dict[str, ReviewState]:
        """Every marked name and its state (unreviewed names have no entry)."""
        return {name: ReviewState(entry["state"]) for name, entry in self._entries.items()}

    def counts(self, names: Iterable[str]) -> dict[ReviewState, int]:
        totals = {state: 0 for state in ReviewState}
        for name in names:
            totals[self.state(name)] += 1
        return totals

    def set_state(self, name: str, state: ReviewState) -> None:
        """Record ``state`` and write the file (unless it is not ours: then ``error`` says why).

        Raises OSError when the write fails (the mark stays in memory and is retried next time)."""
        state = ReviewState(state)
        if state == ReviewState.UNREVIEWED:
            self._entries.pop(name, None)
        else:
            self._entries[name] = {"state": state.value, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        self._changed.add(name)
        self.save()

    def save(self) -> None:
        if not self.writable or not self._changed:
            return
        on_disk = self._read()   # merge: marks written meanwhile by another window are kept
        if not self.writable:
            return
        for name in self._changed:
            if name in self._entries:
                on_disk[name] = self._entries[name]
            else:
                on_disk.pop(name, None)
        doc = {"format": FORMAT, "version": VERSION,
               "images": {name: on_disk[name] for name in sorted(on_disk)}}
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
        self._entries = on_disk
        self._changed.clear()
