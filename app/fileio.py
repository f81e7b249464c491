"""Writing files so that a crash, a cancel or a full disk never leaves half a file.

Everything the app writes for a user (label maps, model weights, exported maps)
goes through here: the data is written to a temporary file in the destination's
folder, flushed to disk, and only then renamed over the destination, which is
atomic on one file system.

Temporary files are named ``.NAME.XXXXXXXX.tmp`` (eight random hex digits), with
``NAME`` shortened where needed so that the temporary name fits the file system
wherever ``NAME`` itself fits; ``temp_prefix`` gives the part before the random
digits, so a batch can find and remove the temporaries its own killed runs left.

The mode of a new file is what the kernel gives a file created with 0o666 under
the process umask: the temporary is created that way, and that mode is kept for
it. The umask is never changed (changing it to read it races between threads and
can leave another thread's files world-writable); it is read once at import only
as a fallback for temporaries this module did not create.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

TEMP_SUFFIX = ".tmp"
RANDOM_DIGITS = 8  # hex digits between the prefix and the suffix
DEFAULT_NAME_MAX = 255  # bytes per name on the usual file systems (ext4, xfs, btrfs, APFS, NTFS)


def _read_umask_once() -> int:
    """The umask at import (single-threaded then); only a fallback, see the module doc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK_AT_IMPORT = _read_umask_once()
_new_file_modes: dict[str, int] = {}  # temporary path -> the mode the kernel gave it at creation
_modes_lock = threading.Lock()


def name_max(folder: Path) -> int:
    """Longest file name (in bytes) ``folder``'s file system allows, or the usual 255."""
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return int(os.pathconf(probe, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return DEFAULT_NAME_MAX


def name_fits(name: str, folder: Path) -> bool:
    return len(os.fsencode(name)) <= name_max(folder)


def temp_prefix(target: Path) -> str:
    """``.NAME.`` for ``target``, ``NAME`` cut (at a character boundary) so that the whole
    temporary name ``.NAME.XXXXXXXX.tmp`` fits the folder's file system."""
    room = name_max(target.parent) - len(TEMP_SUFFIX) - RANDOM_DIGITS - 2
    encoded = os.fsencode(target.name)
    if len(encoded) > room:
        encoded = encoded[:max(room, 1)]
        while encoded and not _decodes(encoded):
            encoded = encoded[:-1]
    return f".{os.fsdecode(encoded)}."


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def is_temp_name(name: str, prefix: str) -> bool:
    """True for the temporary names ``temp_path_beside`` makes with ``prefix``."""
    middle = name[len(prefix):-len(TEMP_SUFFIX)] if name.endswith(TEMP_SUFFIX) else ""
    return (name.startswith(prefix) and len(middle) == RANDOM_DIGITS
            and all(c in "0123456789abcdef" for c in middle))


def temp_path_beside(target: Path) -> Path:
    """A new empty file next to ``target`` with the usual file mode (0o666 less the umask)."""
    target = Path(target)
    prefix = temp_prefix(target)
    for _ in range(100):
        temp = target.parent / f"{prefix}{secrets.token_hex(RANDOM_DIGITS // 2)}{TEMP_SUFFIX}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            mode = stat.S_IMODE(os.fstat(fd).st_mode)
        finally:
            os.close(fd)
        with _modes_lock:
            _new_file_modes[str(temp)] = mode
        return temp
    raise FileExistsError(f"cannot find a free temporary name beside {target}")


def _new_file_mode(temp: Path) -> int:
    with _modes_lock:
        mode = _new_file_modes.pop(str(temp), None)
    return mode if mode is not None else 0o666 & ~_UMASK_AT_IMPORT


def publish(temp: Path, target: Path, overwrite: bool = True) -> None:
    """Move a finished temporary file into place (fsynced first).

    The file gets the mode of the file it replaces, or the usual one for a new file:
    some writers (safetensors' ``save_file``) recreate the temporary with mode 0600.
    Without ``overwrite`` the file is linked into place, which fails if ``target``
    exists at that moment: a file that appeared while this one was being written
    (another run, another program, a dangling link) is never replaced."""
    usual = _new_file_mode(Path(temp))
    if not overwrite and os.path.lexists(target):
        raise FileExistsError(f"{target} exists; not overwriting it")
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        mode = usual
    os.chmod(temp, mode)
    if not overwrite and _link_into_place(temp, target):
        return
    os.replace(temp, target)


# link() errors of file systems without hard links (FAT, some network shares): renamed instead
_NO_HARD_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOSYS, errno.ENOTSUP,
                  getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)}


def _link_into_place(temp: Path, target: Path) -> bool:
    """Hard-link ``temp`` as ``target`` (FileExistsError if it exists now) and drop ``temp``;
    False where the file system has no hard links."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise FileExistsError(f"{target} appeared while it was being written; it was kept") from None
    except OSError as exc:
        if exc.errno in _NO_HARD_LINKS:
            return False
        raise
    os.unlink(temp)
    return True


def discard(temp: Path) -> None:
    """Remove an unfinished temporary (and forget its mode)."""
    _new_file_mode(Path(temp))
    Path(temp).unlink(missing_ok=True)


@contextmanager
def atomic_path(target: str | Path, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    If the block raises, the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    if not overwrite and os.path.lexists(target):
        raise FileExistsError(f"{target} exists; not overwriting it")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: the folder {target.parent} does not exist")
    temp = temp_path_beside(target)
    try:
        yield temp
        publish(temp, target, overwrite)
    except BaseException:
        discard(temp)
        raise


def atomic_write_bytes(target: str | Path, data: bytes, overwrite: bool = True) -> Path:
    with atomic_path(target, overwrite) as temp:
        temp.write_bytes(data)
    return Path(target)


_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def open_own_file(path: str | Path, flags: int) -> int:
    """A descriptor of the regular file ``path`` for the app's own bookkeeping files (a log,
    a lock, a manifest), never through a symbolic link and never a FIFO or a device.

    A link planted under such a name (``pspnet-errors.log -> ~/.bashrc`` in a folder someone
    handed over) would otherwise make a run write, truncate or append to the file it names.
    OSError with a sentence otherwise."""
    path = Path(path)
    if os.path.islink(path):  # also where the platform has no O_NOFOLLOW
        raise OSError(errno.ELOOP, f"{path} is a symbolic link; this app's own file is never written "
                      "through one (remove the link)")
    try:
        fd = os.open(path, flags | _NO_FOLLOW, 0o666)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):  # a link swapped in; a FIFO without a reader
            raise OSError(exc.errno, f"{path} is not a regular file; this app's own file is never "
                          "written through a link, a FIFO or a device") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, f"{path} is not a regular file; this app's own file is never written "
                      "through a link, a FIFO or a device")
    return fd


def append_text(path: str | Path, text: str) -> None:
    """Append ``text`` to the app's own file ``path`` (created when missing; see open_own_file)."""
    fd = open_own_file(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)
