"""What a batch run is asked to do, and the plain (Qt-free) helpers around it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from app.engine.writers import OUTPUT_FORMATS


@dataclass
class BatchOptions:
    input_dir: Path
    output_dir: Path
    recursive: bool = False
    formats: tuple[str, ...] = OUTPUT_FORMATS
    protocol: str = "fast"
    device: str = "auto"
    overwrite: bool = False  # False: images whose outputs this app wrote are skipped (resume)
    replace_edited: bool = False  # True: maps edited by hand are labelled again (replaced) too

    def problems(self) -> list[str]:
        """What stops the run from starting, as sentences for the dialog."""
        found = []
        if str(self.input_dir) in ("", "."):
            found.append("Choose the folder of images to label.")
        elif not Path(self.input_dir).is_dir():
            found.append(f"The input folder {self.input_dir or '(none)'} does not exist.")
        if str(self.output_dir) in ("", "."):
            found.append("Choose an output folder.")
        elif Path(self.output_dir).exists() and not Path(self.output_dir).is_dir():
            found.append(f"The output {self.output_dir} is a file, not a folder.")
        if not self.formats:
            found.append("Choose at least one output format.")
        return found


def default_output_dir(input_dir: Path) -> Path:
    """``photos`` -> ``photos_labels`` next to it (the run never writes among the photos)."""
    input_dir = Path(input_dir)
    return input_dir.with_name(input_dir.name + "_labels")


@dataclass
class RateMeter:
    """Images per second and time left, over the images actually segmented (skips are free)."""

    total: int
    done: int = 0          # every finished file, skipped ones included
    segmented: int = 0     # files that went through the model (ok or failed)
    started: float = field(default_factory=time.perf_counter)
    first_segment: float | None = None
    last_segment: float | None = None  # end of the latest segmented file: idle time does not count

    def begin_segment(self) -> None:
        if self.first_segment is None:
            self.first_segment = time.perf_counter()

    def finish(self, segmented: bool) -> None:
        self.done += 1
        if segmented:
            self.segmented += 1
            self.last_segment = time.perf_counter()

    def rate(self) -> float:
        """Segmented files per second of segmenting; the dock and the summary both show it."""
        if not self.segmented or self.first_segment is None or self.last_segment is None:
            return 0.0
        return self.segmented / max(self.last_segment - self.first_segment, 1e-6)

    def eta_seconds(self) -> float | None:
        rate = self.rate()
        return (self.total - self.done) / rate if rate > 0 else None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
