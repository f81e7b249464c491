"""The manifest of an output folder: which files this project wrote there, for which
image, with which model and settings (``OUT/pspnet-manifest.jsonl``).

One JSON object per line: a header, then what each run learnt, appended as it goes
(a killed run loses at most its last line, which reading skips); a run ends by
rewriting the file compacted. Lines:

- ``{"identity": KEY, "model": ..., "protocol": ...}``: what KEY (a hash) stands for;
- ``{"image": "sub/photo", "source": ..., "source_size": N, "source_mtime_ns": T,
  "identity": KEY, "files": {"label": ["photo.png", size, mtime_ns], ...}}``;
- ``{"run_file": "summary.json", "size": N, "mtime_ns": T}``.

A file counts as this project's when it is a regular file (no link, no folder)
whose size and modification time are the ones recorded: anything else of that
name (a user's photo, a map edited since) is someone else's.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine import weights_digest
from app.fileio import append_text, atomic_write_bytes

HEADER = {"pspnet_studio": "batch manifest", "version": 1}


class ManifestError(ValueError):
    """The manifest file is not this project's."""


def model_description(meta: Any) -> dict[str, Any]:
    """How run files and ``NAME.json`` name the model (from its ``ModelMeta``)."""
    return {"name": meta.display_name, "format": meta.format, "source": meta.source,
            "classes": meta.classes.describe(), "architecture": meta.architecture.description}


def file_sha256(path: Path) -> str:
    """The file's sha256, made once per process (``app.engine.weights_digest``)."""
    return weights_digest.sha256(path)


def weights_fingerprint(source: str) -> list[list[str]]:
    """[[name, sha256]] of the weights file behind ``meta.source`` and its card; for a folder
    of weights (a CSAIL pair, maybe among many epochs' files) [[name, "size:mtime"]] of its
    checkpoint files, which bounds the work."""
    path = Path(source) if source else None
    if path is None or not path.exists():
        return []
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in (".pth", ".pt", ".json"))
        return [[p.name, f"{p.stat().st_size}:{p.stat().st_mtime_ns}"] for p in files]
    return [[p.name, file_sha256(p)] for p in (path, path.with_suffix(".json")) if p.is_file()]


def run_identity(meta: Any, settings: Any) -> dict[str, Any]:
    """What makes two runs' outputs the same: the model (weights hash, classes, palette,
    normalisation) and the protocol settings."""
    described = {k: v for k, v in model_description(meta).items() if k != "source"}  # moved weights are the same
    return {"model": described, "weights": weights_fingerprint(meta.source),
            "classes": meta.classes.to_dict(),
            "normalization": meta.normalization.to_dict(),
            "protocol": settings.to_dict() if settings is not None else meta.protocol("fast").to_dict()}


def identity_key(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def file_signature(path: Path) -> list[int] | None:
    """[size, mtime_ns] of a regular file (not following links); None otherwise."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns] if stat.S_ISREG(info.st_mode) else None


def source_signature(source: Path) -> dict[str, Any]:
    info = source.stat()
    return {"source": str(source.resolve()), "source_size": info.st_size, "source_mtime_ns": info.st_mtime_ns}


@dataclass
class Manifest:
    path: Path
    identities: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # image key -> latest entry
    run_files: dict[str, list[int]] = field(default_factory=dict)  # name -> [size, mtime_ns]
    exists: bool = False

    @classmethod
    def read(cls, path: Path) -> Manifest:
        manifest = cls(path)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return manifest
        if not stat.S_ISREG(info.st_mode):
            raise ManifestError(f"{path} is not a file; this app keeps its record of the folder there")
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = [line for line in handle.read().splitlines() if line.strip()]
        if not lines:
            return manifest  # created by a run killed before its first line: nothing recorded
        try:
            first = json.loads(lines[0]) if lines else None
        except ValueError:
            first = None
        if first != HEADER:
            raise ManifestError(f"{path} is not this app's manifest; it was kept. Choose another output folder")
        manifest.exists = True
        for line in lines[1:]:
            try:
                manifest.add(json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # a line a killed run did not finish
        return manifest

    def add(self, entry: dict[str, Any]) -> None:
        if "image" in entry:
            self.images[str(entry["image"])] = entry
        elif "run_file" in entry:
            self.run_files[str(entry["run_file"])] = [int(entry["size"]), int(entry["mtime_ns"])]
        elif "identity" in entry:
            self.identities[str(entry["identity"])] = entry

    def append(self, entry: dict[str, Any]) -> None:
        """Record ``entry`` (in memory and at the end of the file)."""
        self.add(entry)
        new = not self.exists
        append_text(self.path, (json.dumps(HEADER) + "\n" if new else "") + json.dumps(entry) + "\n")
        self.exists = True

    def compact(self) -> None:
        """Rewrite the file with the latest line of each image and run file (atomically)."""
        used = {e.get("identity") for e in self.images.values()}
        lines = [HEADER, *(e for k, e in self.identities.items() if k in used), *self.images.values(),
                 *({"run_file": n, "size": s, "mtime_ns": t} for n, (s, t) in self.run_files.items())]
        atomic_write_bytes(self.path, "".join(json.dumps(x) + "\n" for x in lines).encode("utf-8"))
        self.exists = True
