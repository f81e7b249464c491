"""What a batch run is made of: its jobs, one record per image, and the report.

Plain data (picklable: Ray workers send records back to the driver). The batch
ledger (``app/engine/ledger.py``) makes and keeps them for all three batch loops.
"""

from __future__ import annotations

import traceback as traceback_module
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

STATUSES = ("ok", "skipped", "failed", "cancelled")


@dataclass(frozen=True)
class Job:
    source: Path
    stem: Path  # output path without suffix: out/sub/photo
    problem: str = ""  # found while planning (e.g. output names too long): the image fails with it


@dataclass
class FileRecord:
    input: str
    status: str  # one of STATUSES
    seconds: float = 0.0
    classes: list[str] = field(default_factory=list)  # present classes, largest first
    error: str = ""
    outputs: list[str] = field(default_factory=list)  # relative to the output folder
    notes: list[str] = field(default_factory=list)
    traceback: str = ""  # of a programming error; the ledger moves it to the run's log file

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("traceback")
        return data


@dataclass
class BatchReport:
    out_dir: Path
    records: list[FileRecord]
    seconds: float
    cancelled: bool = False
    problems: list[str] = field(default_factory=list)  # run-level errors (run files not written, ...)
    notes: list[str] = field(default_factory=list)  # run-level remarks (stale lock taken over, ...)

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def failures(self) -> list[FileRecord]:
        return [r for r in self.records if r.status == "failed"]

    @property
    def succeeded(self) -> bool:
        return not self.failures and not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "seconds": round(self.seconds, 3), "cancelled": self.cancelled,
                "counts": {s: self.count(s) for s in STATUSES},
                "files": [r.to_dict() for r in self.records]}


def relative_names(paths: Iterable[Path], out_dir: Path) -> list[str]:
    return [str(p.relative_to(out_dir)) if p.is_relative_to(out_dir) else str(p) for p in paths]


def failure_record(job: Job, exc: BaseException, seconds: float = 0.0) -> FileRecord:
    """The 'failed' record of an image; a programming error keeps its traceback (the ledger
    logs it). Bad files (``ImageReadError``) and failed writes have a plain message."""
    from app.engine.imageio import ImageReadError  # noqa: PLC0415 - keeps this module light

    if isinstance(exc, OSError):
        detail = exc.strerror or str(exc) or type(exc).__name__
        where = str(exc.filename) if exc.filename else ""
        place = f" (writing {where})" if where and where != str(job.source) else ""
        return FileRecord(str(job.source), "failed", round(seconds, 4), error=f"{job.source}: {detail}{place}")
    if isinstance(exc, (ImageReadError, MemoryError)):
        return FileRecord(str(job.source), "failed", round(seconds, 4), error=str(exc) or type(exc).__name__)
    text = "".join(traceback_module.format_exception(type(exc), exc, exc.__traceback__))
    return FileRecord(str(job.source), "failed", round(seconds, 4), error=f"{type(exc).__name__}: {exc}",
                      traceback=text)
