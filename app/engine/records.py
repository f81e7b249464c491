"""What a batch run is made of: its jobs, one record per image, and the report.

Plain data (picklable: Ray workers send records back to the driver). The batch
ledger (``app/engine/ledger.py``) makes and keeps them for all three batch loops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
