"""ONNX Runtime's own optimised copy of a cached graph, so that a session starts in milliseconds.

A session made from the exported graph parses it (187 MB for PSPNet-50), fuses and folds
its operators and reorders the convolution weights into the blocked layout of this CPU:
about 0.5 s of a 7-8 s whole-process official run on two cores, plus reading and hashing
the file. ONNX Runtime can save the graph as it runs it (``optimized_model_filepath``) with
the weights in a file of their own, which a later session maps into memory instead of
copying; a session from those files, its optimisations off, takes about 10 ms (measured).

The optimised graph belongs to one CPU: its blocked layout follows the instruction set
(AVX2's 8 floats a block, AVX-512's 16). File names carry the graph's key (weights, shape,
the versions of torch and ONNX Runtime) and a tag of this CPU (``cpu_tag``), so a cache
folder shared by machines, or a new ONNX Runtime, never runs another's:
``KEY-CPU.optimised``, its weights ``KEY-CPU.optimised-weights`` and the record
``KEY-CPU.optimised-record`` (JSON: both files' sizes and CRC-32s). ONNX Runtime writes the
pair into a temporary folder in the cache; they are renamed into place, the weights first,
and the record is written last, atomically. A pair without a record, with other sizes or
CRCs, or that ONNX Runtime cannot load, is removed and made again from the exported graph
(the caller's fallback).

CRC-32, not sha256: the files are written here atomically and only accidental damage is
looked for; it reads 187 MB in about 0.05 s where sha256 takes 0.15-0.25 s on these cores.
"""

from __future__ import annotations

import functools
import hashlib
import json
import mmap
import os
import platform
import re
import shutil
import stat
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Callable

from app.fileio import atomic_write_bytes

SUFFIXES = (".optimised", ".optimised-weights", ".optimised-record")
MAX_RECORD_BYTES = 4096
SCRATCH_PREFIX = ".optimising-"
SCRATCH_MAX_AGE_S = 3600  # an export plus ONNX Runtime's save takes minutes at most
NAME = re.compile(r"^(?P<key>[0-9a-f]{32})-[0-9a-f]{12}\.optimised(-weights|-record)?$")
Options = Callable[[], Any]  # a fresh onnxruntime.SessionOptions with the cache's threads


@functools.lru_cache(maxsize=1)
def cpu_tag() -> str:
    """12 hex digits naming this CPU's model and instruction set (on Linux its cpuinfo flags)."""
    parts = [platform.machine(), platform.processor(), platform.system()]
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                name = line.split(":", 1)[0].strip()
                if name in ("model name", "flags", "Features", "CPU part"):
                    parts.append(line.strip())
                elif not line.strip() and len(parts) > 3:  # the first processor is enough
                    break
    except OSError:
        pass
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def paths(folder: Path, key: str) -> tuple[Path, Path, Path]:
    """(model, weights, record) of the optimised graph of ``key`` on this CPU."""
    stem = f"{key}-{cpu_tag()}"
    model, data, record = (folder / f"{stem}{suffix}" for suffix in SUFFIXES)
    return model, data, record


def load(folder: Path, key: str, options: Options) -> Any:
    """A session from the optimised files of ``key``, or None where they are absent.
    Raises ValueError (files removed) when they are there but damaged or unloadable."""
    model, data, record = paths(folder, key)
    if not regular(record):
        return None
    try:
        if record.stat().st_size > MAX_RECORD_BYTES:
            raise ValueError("its record is too long")
        expected = json.loads(record.read_text(encoding="utf-8"))
        for path, name in ((model, "model"), (data, "data")):
            if not regular(path) or path.stat().st_size != expected[f"{name}_bytes"]:
                raise ValueError(f"its {name} file is missing or of another size")
            if _crc32(path) != expected[f"{name}_crc32"]:
                raise ValueError(f"its {name} file's CRC-32 does not match")
        import onnxruntime as ort  # noqa: PLC0415 - loaded with the backend

        settings = options()
        settings.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # done already
        return ort.InferenceSession(str(model), settings, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - anything wrong: made again from the exported graph
        remove(folder, key)
        raise ValueError(f"optimised ONNX graph {model.name} unusable ({exc}); made again") from None


def create(folder: Path, key: str, graph: bytes, options: Options) -> Any:
    """A session from the exported ``graph`` that also saves ONNX Runtime's optimised copy
    of it in ``folder`` (OSError where the files cannot be written: nothing is left)."""
    import onnxruntime as ort  # noqa: PLC0415

    model, data, record = paths(folder, key)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_scratch(folder)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=folder))
    try:
        settings = options()
        settings.optimized_model_filepath = str(scratch / model.name)
        settings.add_session_config_entry("session.optimized_model_external_initializers_file_name", data.name)
        settings.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        try:
            session = ort.InferenceSession(graph, settings, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - ONNX Runtime says a failed write as a plain error
            raise OSError(f"ONNX Runtime could not save its optimised graph: {exc}") from exc
        written = {name: scratch / path.name for name, path in (("model", model), ("data", data))}
        facts = {f"{name}_{what}": value for name, path in written.items()
                 for what, value in (("bytes", path.stat().st_size), ("crc32", _crc32(path)))}
        os.replace(written["data"], data)  # the weights first: the model names them
        os.replace(written["model"], model)
        atomic_write_bytes(record, json.dumps({**facts, "cpu": cpu_tag()}, indent=1).encode())
        return session
    except BaseException:
        remove(folder, key)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def remove(folder: Path, key: str) -> None:
    """Every optimised file of ``key`` (any CPU's), the records first."""
    found = [p for p in _listing(folder) if (m := NAME.match(p.name)) and m["key"] == key]
    for path in sorted(found, key=lambda p: not p.name.endswith("-record")):
        try:
            path.unlink()
        except OSError:
            pass  # in use elsewhere (Windows maps files it runs): its record is gone already


def sizes_by_key(folder: Path) -> dict[str, int]:
    """Bytes of optimised files per graph key (every CPU's), for the cache's budget."""
    total: dict[str, int] = {}
    for path in _listing(folder):
        match = NAME.match(path.name)
        if match and regular(path):
            total[match["key"]] = total.get(match["key"], 0) + path.stat().st_size
    return total


def _remove_stale_scratch(folder: Path) -> None:
    """Temporary folders that a killed process left (a whole graph's weights each); those of
    a process still writing are younger than ``SCRATCH_MAX_AGE_S`` and left alone."""
    now = time.time()
    for path in _listing(folder):
        try:
            if path.name.startswith(SCRATCH_PREFIX) and path.is_dir() and not path.is_symlink() \
                    and now - path.stat().st_mtime > SCRATCH_MAX_AGE_S:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _crc32(path: Path) -> int:
    """CRC-32 of a file, read through a memory map (no copy; the pages are the ones
    ONNX Runtime maps next)."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return 0
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return zlib.crc32(mapped)


def regular(path: Path) -> bool:
    """A regular file, not a link to one (the cache is ours; nothing else is read)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
