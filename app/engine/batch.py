"""Batch runs: which files go where, the per-image step, and the pipelined loop.

``plan_jobs`` turns inputs (files and folders) into ``Job``s with unique output
stems; ``process_one`` is the whole per-image step (read, segment, write) that a
Ray worker can call on its own; ``run_batch`` is the local loop used by the CLI
and the GUI: the next image is decoded and finished results are written on a
small thread pool while the current image is on the network.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from app.checkpoints.meta import ProtocolSettings
from app.engine.imageio import ImageReadError, is_image_file, read_image
from app.engine.result import Cancelled, SegmentationResult
from app.engine.writers import OUTPUT_FORMATS, output_paths, write_outputs, write_run_files

if TYPE_CHECKING:  # the GUI imports this module before torch is loaded
    from app.engine.segmenter import Segmenter

STATUSES = ("ok", "skipped", "failed", "cancelled")


@dataclass(frozen=True)
class Job:
    source: Path
    stem: Path  # output path without suffix: out/sub/photo


@dataclass
class FileRecord:
    input: str
    status: str  # one of STATUSES
    seconds: float = 0.0
    classes: list[str] = field(default_factory=list)  # present classes, largest first
    error: str = ""
    outputs: list[str] = field(default_factory=list)  # relative to the output folder
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BatchReport:
    out_dir: Path
    records: list[FileRecord]
    seconds: float
    cancelled: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def failures(self) -> list[FileRecord]:
        return [r for r in self.records if r.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "seconds": round(self.seconds, 3), "cancelled": self.cancelled,
                "counts": {s: self.count(s) for s in STATUSES},
                "files": [r.to_dict() for r in self.records]}


# --- planning ------------------------------------------------------------------------

def collect_sources(inputs: Iterable[str | Path], recursive: bool = False
                    ) -> tuple[list[tuple[Path, Path]], list[str]]:
    """[(source, relative folder)] from files and folders, plus problems (missing inputs)."""
    found: list[tuple[Path, Path]] = []
    problems: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            pattern = path.rglob("*") if recursive else path.iterdir()
            files = sorted(p for p in pattern if p.is_file() and is_image_file(p)
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            found += [(p, p.parent.relative_to(path)) for p in files]
        elif path.is_file():
            found.append((path, Path()))
        else:
            problems.append(f"{path}: no such file or folder")
    return found, problems


def plan_jobs(inputs: Iterable[str | Path], out_dir: str | Path, recursive: bool = False
              ) -> tuple[list[Job], list[str]]:
    """Jobs with unique output stems, and the problems found in the inputs.

    ``photo.jpg`` -> ``out/photo``; sub-folders are mirrored. When two inputs would
    share a stem (``a.jpg`` and ``a.png``), each gets its extension appended
    (``a_jpg``, ``a_png``); any clash left gets ``_2``, ``_3`` in sorted order of the
    inputs. The names only depend on the set of inputs, so reruns resume cleanly.
    """
    out_dir = Path(out_dir)
    sources, problems = collect_sources(inputs, recursive)
    # outputs of an earlier run inside an input folder are not inputs
    sources = [(src, rel) for src, rel in sources if not _is_inside(src, out_dir)]
    unique: dict[Path, Path] = {}
    for src, rel in sources:  # the same file named twice is one job
        unique.setdefault(src.resolve(), rel)
    items = sorted(((src, rel) for src, rel in unique.items()), key=lambda sr: (str(sr[1]), str(sr[0])))
    wanted = [rel / src.stem for src, rel in items]
    clashes: dict[str, int] = {}
    for w in wanted:
        clashes[str(w).casefold()] = clashes.get(str(w).casefold(), 0) + 1
    taken: set[str] = set()
    jobs: list[Job] = []
    for (src, rel), w in zip(items, wanted):
        name = w if clashes[str(w).casefold()] == 1 else rel / f"{src.stem}_{src.suffix.lstrip('.').lower()}"
        candidate, n = name, 1
        while str(candidate).casefold() in taken:
            n += 1
            candidate = name.with_name(f"{name.name}_{n}")
        taken.add(str(candidate).casefold())
        jobs.append(Job(src, out_dir / candidate))
    return jobs, problems


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


# --- one image -----------------------------------------------------------------------

def model_description(segmenter: Segmenter) -> dict[str, Any]:
    meta = segmenter.loaded.meta
    return {"name": meta.display_name, "format": meta.format, "source": meta.source,
            "classes": meta.classes.describe(), "architecture": meta.architecture.description}


def outputs_done(job: Job, formats: Iterable[str]) -> bool:
    return all(p.exists() for p in output_paths(job.stem, formats).values())


def _relative(paths: Iterable[Path], out_dir: Path) -> list[str]:
    out = []
    for p in paths:
        try:
            out.append(str(p.relative_to(out_dir)))
        except ValueError:
            out.append(str(p))
    return out


def write_job(job: Job, out_dir: Path, image: np.ndarray, result: SegmentationResult, segmenter: Segmenter,
              formats: Iterable[str], overwrite: bool) -> FileRecord:
    classes = segmenter.loaded.meta.classes
    paths = output_paths(job.stem, formats)
    write_outputs(paths, image, result, classes, str(job.source), model_description(segmenter), overwrite)
    names = [classes.names[i] if i < len(classes) else f"class {i}" for i in result.present_classes()]
    return FileRecord(str(job.source), "ok", round(result.seconds, 4), names, "",
                      _relative(paths.values(), out_dir), list(result.notes))


def process_one(job: Job, segmenter: Segmenter, out_dir: str | Path, formats: Iterable[str] = OUTPUT_FORMATS,
                settings: ProtocolSettings | None = None, overwrite: bool = False,
                cancel: threading.Event | None = None) -> FileRecord:
    """Read, segment and write one image; errors become a 'failed' record, never an exception
    (except ``Cancelled``, which leaves no file of this image behind)."""
    formats = tuple(formats)
    out_dir = Path(out_dir)
    if not overwrite and outputs_done(job, formats):
        return FileRecord(str(job.source), "skipped",
                          outputs=_relative(output_paths(job.stem, formats).values(), out_dir))
    started = time.perf_counter()
    try:
        image = read_image(job.source)
        result = segmenter.segment(image, settings, cancel=cancel)
        return write_job(job, out_dir, image, result, segmenter, formats, overwrite)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - reported per file, the run goes on
        return _failed(job, exc, time.perf_counter() - started)


def _failed(job: Job, exc: BaseException, seconds: float) -> FileRecord:
    message = str(exc) if isinstance(exc, (ImageReadError, OSError)) else f"{type(exc).__name__}: {exc}"
    return FileRecord(str(job.source), "failed", round(seconds, 4), error=message or type(exc).__name__)


# --- the loop ------------------------------------------------------------------------

def run_batch(jobs: list[Job], segmenter: Segmenter, out_dir: str | Path,
              formats: Iterable[str] = OUTPUT_FORMATS, settings: ProtocolSettings | None = None,
              overwrite: bool = False, cancel: threading.Event | None = None,
              on_progress: Callable[[int, int], None] | None = None,
              on_file: Callable[[FileRecord], None] | None = None, io_threads: int = 2) -> BatchReport:
    """Segment every job; decoding ahead and writing behind overlap with inference.

    Records come back in job order. On cancel, images not started are 'cancelled',
    the one on the network is dropped (no file of it is written), and writes
    already queued finish (each is atomic). ``on_progress(done, total)`` and
    ``on_file(record)`` are called from the calling thread.
    """
    formats = tuple(formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    records: list[FileRecord | None] = [None] * len(jobs)
    pending_writes: list[tuple[int, Future]] = []
    done = 0
    cancelled = False

    def finish(index: int, record: FileRecord) -> None:
        nonlocal done
        records[index] = record
        done += 1
        if on_file is not None:
            on_file(record)
        if on_progress is not None:
            on_progress(done, len(jobs))

    def drain(block: bool) -> None:
        for item in list(pending_writes):
            index, future = item
            if block or future.done():
                pending_writes.remove(item)
                try:
                    finish(index, future.result())
                except Exception as exc:  # noqa: BLE001
                    finish(index, _failed(jobs[index], exc, 0.0))

    todo = [i for i, job in enumerate(jobs) if overwrite or not outputs_done(job, formats)]
    todo_set = set(todo)
    for i, job in enumerate(jobs):
        if i not in todo_set:
            finish(i, FileRecord(str(job.source), "skipped",
                                 outputs=_relative(output_paths(job.stem, formats).values(), out_dir)))
    with ThreadPoolExecutor(max_workers=max(1, io_threads), thread_name_prefix="batch-io") as pool:
        reads: dict[int, Future] = {}

        def prefetch(position: int) -> None:
            if position < len(todo) and todo[position] not in reads:
                reads[todo[position]] = pool.submit(read_image, jobs[todo[position]].source)

        prefetch(0)
        for position, index in enumerate(todo):
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            prefetch(position + 1)
            job = jobs[index]
            t0 = time.perf_counter()
            try:
                image = reads.pop(index).result()
                result = segmenter.segment(image, settings, cancel=cancel)
            except Cancelled:
                cancelled = True
                break
            except Exception as exc:  # noqa: BLE001 - per-file failure
                finish(index, _failed(job, exc, time.perf_counter() - t0))
                drain(block=False)
                continue
            pending_writes.append((index, pool.submit(write_job, job, out_dir, image, result, segmenter,
                                                      formats, overwrite)))
            drain(block=False)
            while len(pending_writes) > 2 * max(1, io_threads):  # bound the results held in memory
                index0, future0 = pending_writes.pop(0)
                pending_writes.insert(0, (index0, future0))
                future0.exception()  # wait for the oldest write
                drain(block=False)
        drain(block=True)
        for future in reads.values():
            future.cancel()
    for i, job in enumerate(jobs):
        if records[i] is None:
            records[i] = FileRecord(str(job.source), "cancelled")
    report = BatchReport(out_dir, [r for r in records if r is not None], time.perf_counter() - started, cancelled)
    write_run_files(out_dir, segmenter.loaded.meta.classes,
                    {"model": model_description(segmenter), "formats": list(formats), **report.to_dict()})
    return report
