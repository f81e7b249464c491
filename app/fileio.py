"""Writing files so that a crash, a cancel or a full disk never leaves half a file.

Everything the app writes for a user (label maps, model weights, exported maps)
goes through here: the data is written to a temporary file in the destination's
folder, flushed to disk, and only then renamed over the destination, which is
atomic on one file system.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_path_beside(target: Path) -> Path:
    """A new empty file next to ``target`` with the usual file mode (mkstemp's is 0600)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def publish(temp: Path, target: Path, overwrite: bool = True) -> None:
    """Move a finished temporary file into place (fsynced first).

    The file gets the mode of the file it replaces, or the usual one for a new file:
    some writers (safetensors' ``save_file``) recreate the temporary with mode 0600."""
    if not overwrite and target.exists():
        raise FileExistsError(f"{target} exists; not overwriting it")
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    os.chmod(temp, mode)
    os.replace(temp, target)


@contextmanager
def atomic_path(target: str | Path, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    If the block raises, the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    if not overwrite and target.exists():
        raise FileExistsError(f"{target} exists; not overwriting it")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: the folder {target.parent} does not exist")
    temp = temp_path_beside(target)
    try:
        yield temp
        publish(temp, target, overwrite)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(target: str | Path, data: bytes, overwrite: bool = True) -> Path:
    with atomic_path(target, overwrite) as temp:
        temp.write_bytes(data)
    return Path(target)
