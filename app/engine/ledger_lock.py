"""One run at a time per output folder: a lock file holding the owner's pid.

The lock is an ``flock`` on ``OUT/.pspnet-lock`` (where the platform has it): the
kernel drops it when the owner dies, so the file a killed run leaves is a stale
lock that the next run simply takes over. Without ``flock`` (Windows) the file is
created exclusively, and one whose pid is dead on this host is taken over; so too on
file systems that refuse ``flock`` (some network mounts).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from pathlib import Path

from app.fileio import open_own_file

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class FolderInUse(RuntimeError):
    """Another run is writing into the folder."""


class FolderLock:
    def __init__(self, folder: Path, name: str) -> None:
        self.path = Path(folder) / name
        self._fd: int | None = None
        self.took_over = ""  # a stale lock taken over: whose it was
        self._no_flock = False

    def acquire(self) -> None:
        """Take the lock or raise ``FolderInUse`` (``OSError`` if the folder is unwritable)."""
        for _ in range(20):
            if self._try_once():
                return
        raise FolderInUse(f"{self.path.parent} is in use: could not take its lock file {self.path.name}")

    def _try_once(self) -> bool:
        if fcntl is None or self._no_flock:
            return self._try_exclusive()
        fd = open_own_file(self.path, os.O_RDWR | os.O_CREAT)  # a link there: never truncated through
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            owner = _read_owner(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise FolderInUse(_in_use_message(self.path, owner)) from None
            self._no_flock = True  # e.g. ENOLCK on some network file systems: the pid file alone
            if not owner.get("pid"):
                self.path.unlink(missing_ok=True)  # the empty file just created
            return self._try_exclusive()
        try:
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the owner removed the file between our open and flock: try again
            os.close(fd)
            return False
        previous = _read_owner(fd)
        if previous.get("pid"):
            self.took_over = f"pid {previous['pid']} on {previous.get('host', '?')}"
        os.ftruncate(fd, 0)
        os.write(fd, _owner_text())
        self._fd = fd
        return True

    def _try_exclusive(self) -> bool:
        try:
            fd = open_own_file(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            try:
                owner_fd = open_own_file(self.path, os.O_RDONLY)
                try:
                    owner = _read_owner(owner_fd)
                finally:
                    os.close(owner_fd)
            except OSError:
                owner = {}
            if owner.get("host") == socket.gethostname() and not _alive(int(owner.get("pid", 0))):
                self.took_over = f"pid {owner.get('pid')} on {owner.get('host')}"
                self.path.unlink(missing_ok=True)
                return False
            raise FolderInUse(_in_use_message(self.path, owner)) from None
        os.write(fd, _owner_text())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)  # while still held: no one can have taken it meanwhile
        except OSError:
            pass
        os.close(fd)


def _owner_text() -> bytes:
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                       "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode("utf-8")


def _read_owner(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode("utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _in_use_message(path: Path, owner: dict) -> str:
    who = (f" (pid {owner.get('pid')} on {owner.get('host', '?')}, since {owner.get('since', '?')})"
           if owner.get("pid") else "")
    return (f"the output folder {path.parent} is in use by another run{who}; wait for it to finish "
            "or choose another output folder")


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
