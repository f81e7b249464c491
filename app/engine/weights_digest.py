"""The sha256 of a weights file, made once per file per process and shared by every caller.

The batch ledger records which weights made the labels as the sha256 of the checkpoint
file (``ledger_manifest.weights_fingerprint``): 196 MB for semseg's PSPNet-50, about 0.1 s
of hashing on two cores. The window makes a ledger for every run of a folder, and a
process may ask for the same file's digest from several places, so the digest is kept
here, keyed by what changes when the file does: its resolved path, size, modification
time (ns), inode and device. A file replaced under the same name (another inode), or
written in place (another size or time), gets a new key and is hashed again.

``start(path)`` hashes in a thread of its own (hashlib lets go of the GIL while it
hashes); ``sha256(path)`` waits for that thread or hashes in the caller's thread. Started
with the checkpoint's load it measured no faster on two shared cores (the load and the
hash contend for them: benchmarks/bench_weights_digest.py, docs/benchmarks.md), so the
loader does not call it. As ``onnx_keys.WeightDigests`` does for a weight written while
it is hashed, a file that changes while it is read (its stat before and after differ, or
the name no longer leads to the file that was read) is not recorded and is read again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

Key = tuple[str, int, int, int, int]  # resolved path, size, mtime_ns, inode, device
BLOCK = 1 << 20
ATTEMPTS = 3  # a file still being written after this many reads is hashed as it was read

_lock = threading.Lock()
_known: dict[Key, str] = {}
_pending: dict[str, threading.Thread] = {}  # resolved path -> the thread hashing it
hashed = 0  # files read and hashed by this process (the tests and the benchmark read it)


def file_key(path: str | Path) -> Key:
    """What names one version of the file at ``path`` (OSError where it cannot be stat'ed)."""
    resolved = os.path.realpath(path)
    return _key(resolved, os.stat(resolved))


def sha256(path: str | Path) -> str:
    """The sha256 (hex) of the file's bytes, as ``hashlib.sha256(open(path).read())``."""
    resolved = os.path.realpath(path)
    with _lock:
        thread = _pending.get(resolved)
    if thread is not None:
        thread.join()
    key = _key(resolved, os.stat(resolved))
    with _lock:
        known = _known.get(key)
    return known if known is not None else _hash_and_record(resolved)


def start(path: str | Path) -> None:
    """Begin hashing ``path`` in a background thread unless its digest is known or being
    made; errors are left for ``sha256`` to raise in its caller's thread."""
    resolved = os.path.realpath(path)
    try:
        key = _key(resolved, os.stat(resolved))
    except OSError:
        return
    with _lock:
        if key in _known or resolved in _pending:
            return
        thread = threading.Thread(target=_background, args=(resolved,), name="weights-digest", daemon=True)
        _pending[resolved] = thread
    thread.start()


def forget() -> None:
    """Drop every recorded digest (for tests and the benchmark's baseline rounds)."""
    with _lock:
        _known.clear()


def _background(resolved: str) -> None:
    try:
        _hash_and_record(resolved)
    except OSError:
        pass  # sha256() reads it again and says why
    finally:
        with _lock:
            _pending.pop(resolved, None)


def _hash_and_record(resolved: str) -> str:
    global hashed
    text = ""
    for _ in range(ATTEMPTS):
        with open(resolved, "rb") as handle:
            before = os.fstat(handle.fileno())
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(BLOCK), b""):
                digest.update(block)
            after = os.fstat(handle.fileno())
        text = digest.hexdigest()
        with _lock:
            hashed += 1
        key = _key(resolved, before)
        try:
            unchanged = key == _key(resolved, after) == _key(resolved, os.stat(resolved))
        except OSError:
            unchanged = False  # removed meanwhile: the bytes read are not what the name holds now
        if unchanged:
            with _lock:
                _known[key] = text
            return text
    return text  # written all along: the digest of what was read, not recorded


def _key(resolved: str, info: os.stat_result) -> Key:
    return (resolved, info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev)
