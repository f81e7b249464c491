"""Where an export or import is written: a staging folder published in one step.

Everything goes into a hidden folder beside the destination; only when every
file is written is it renamed into place (a folder) or packed into the
destination through an atomic write (a ``.zip``). A cancel, a crash or a failed
file therefore never leaves half a dataset, and an existing destination is only
replaced with ``overwrite``: it is moved aside, the new one renamed in, and the
old one deleted last. Files inside the private staging folder are written
directly: the folder as a whole is what is published atomically.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Iterable

from PIL import Image

from app.engine.file_kinds import NotRegularFileError, open_regular
from app.fileio import atomic_path
from app.interchange.checks import ExportError, ItemError


# errors that are about one file's name (too long, bytes the file system refuses)
_NAME_ERRORS = {errno.ENAMETOOLONG, errno.EILSEQ, errno.EINVAL}


def check_destination(dest: Path, overwrite: bool, source: Path | None = None,
                      overwrite_hint: str = "use --overwrite") -> None:
    """ExportError when ``dest`` may not be written (exists without overwrite, overlaps the source);
    ``overwrite_hint`` says how to allow replacing it where the user is (a flag, a tick box)."""
    if source is not None:
        src, out = source.resolve(), dest.resolve()
        if out == src or src in out.parents or out in src.parents:
            raise ExportError(f"the destination {dest} must not be inside the source folder {source} "
                              "nor contain it")
    if os.path.lexists(dest) and not overwrite:  # a dangling link too: writing would replace it
        raise ExportError(f"{dest} exists; not replacing it ({overwrite_hint} to replace it)")
    if dest.exists() and dest.suffix.lower() != ".zip" and not dest.is_dir():
        raise ExportError(f"{dest} exists and is a file, not a folder")
    parent = dest.parent if str(dest.parent) else Path(".")
    if not parent.is_dir():
        raise ExportError(f"cannot write {dest}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"cannot write {dest}: the folder {parent} is not writable")


def check_holds_no_input(dest: Path, inputs: Iterable[Path]) -> None:
    """ExportError when an existing ``dest`` holds one of ``inputs`` (a photo being exported):
    replacing it would delete the user's originals with it."""
    if not os.path.lexists(dest):
        return
    out = dest.resolve()
    for path in inputs:
        if out in path.resolve().parents:
            raise ExportError(f"the destination {dest} holds {path}, an input of this export; replacing "
                              "it would delete the originals. Choose another destination")


class Staging:
    """A private folder that becomes ``dest`` (or ``dest``, zipped) on ``commit``."""

    def __init__(self, dest: str | Path, overwrite: bool = False, source: Path | None = None,
                 overwrite_hint: str = "use --overwrite") -> None:
        self.dest = Path(dest)
        self.overwrite = overwrite
        check_destination(self.dest, overwrite, source, overwrite_hint)
        self.zipped = self.dest.suffix.lower() == ".zip"
        self.folder = self.dest.parent / f".{self.dest.name}.partial-{uuid.uuid4().hex[:8]}"
        self.folder.mkdir()  # the usual mode (mkdtemp's would be 0700)

    def path(self, relative: str) -> Path:
        """A file's path inside the staging folder, its sub-folders created."""
        target = self.folder / relative
        if self.folder.resolve() not in target.resolve().parents:
            raise ItemError(f"refusing to write {relative!r}: outside the destination")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_bytes(self, relative: str, data: bytes) -> None:
        with self._create(relative) as handle:
            handle.write(data)

    def _create(self, relative: str):
        """``relative`` opened for writing as a new file: two entries that would share a
        file (``a.jpg`` and ``a.png`` both give ``a``; ``A`` and ``a`` on a folder that
        ignores case) fail the second with ItemError instead of replacing the first."""
        try:
            return open(self.path(relative), "xb")
        except FileExistsError:
            raise ItemError(f"{relative}: an earlier entry was already written under this name; "
                            "this one is left out so that neither is lost") from None
        except OSError as exc:
            if exc.errno in _NAME_ERRORS:  # this entry's name, not the disk: the others still go
                raise ItemError(f"{relative[:80]}: the file system refuses this name "
                                f"({exc.strerror or exc})") from None
            raise

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(relative, text.encode("utf-8"))

    def copy_photo(self, relative_stem: str, source: Path | None, image, jpeg_only: bool = False
                   ) -> str | None:
        """The photo beside the labels as ``relative_stem`` + its extension; the file's own bytes
        (already checked by the project's reader), re-encoded only where a JPEG is required.
        Returns the relative path written, or None without a photo."""
        if source is None or image is None:
            return None
        suffix = source.suffix.lower()
        if jpeg_only and suffix not in (".jpg", ".jpeg"):
            relative = relative_stem + ".jpg"
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=95)
            self.write_bytes(relative, buffer.getvalue())
            return relative
        relative = relative_stem + suffix
        try:
            photo = open_regular(source)  # never a FIFO or a device swapped in since it was read
        except NotRegularFileError as exc:
            raise ItemError(f"{source}: cannot copy the photo: it is {exc.kind}, not a regular file") from None
        except OSError as exc:
            raise ItemError(f"{source}: cannot copy the photo ({exc.strerror or exc})") from None
        with photo, self._create(relative) as handle:
            shutil.copyfileobj(photo, handle)
        return relative

    def commit(self) -> Path:
        if self.zipped:
            with atomic_path(self.dest, self.overwrite) as temp:
                with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
                    for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
                        archive.write(path, path.relative_to(self.folder).as_posix())
            self.discard()
            return self.dest
        for path in self.folder.rglob("*"):  # on disk before the rename makes them visible
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
        old = None
        if self.dest.exists():
            if not self.overwrite:
                raise ExportError(f"{self.dest} appeared while exporting; not replacing it")
            old = self.dest.with_name(f".{self.dest.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(self.dest, old)
        try:
            os.replace(self.folder, self.dest)
        except OSError:
            if old is not None:  # the user's folder goes back where it was
                os.replace(old, self.dest)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.dest

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
