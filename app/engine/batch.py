"""Batch runs: which files go where, the per-image step, and the pipelined loop.

``plan_jobs`` (``ledger_names``) turns inputs into ``Job``s whose output names
collide with nothing; ``process_one`` is the whole per-image step (read, segment,
write) that a Ray worker can call on its own; ``run_batch`` is the local loop used
by the CLI: the next image is decoded and finished results are written on a small
thread pool while the current image is on the network. What may be written,
resumed or replaced is the ``BatchLedger``'s decision (``app/engine/ledger.py``).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from app.checkpoints.meta import ProtocolSettings
from app.engine.imageio import read_image
from app.engine.ledger import BatchLedger, LedgerError
from app.engine.ledger_manifest import model_description as describe_model
from app.engine.ledger_names import collect_sources, plan_jobs
from app.engine.records import STATUSES, BatchReport, FileRecord, Job, failure_record, relative_names
from app.engine.result import Cancelled, SegmentationResult
from app.engine.writers import OUTPUT_FORMATS, output_paths, write_outputs

if TYPE_CHECKING:  # the GUI imports this module before torch is loaded
    from app.engine.segmenter import Segmenter

__all__ = ["STATUSES", "BatchLedger", "BatchReport", "FileRecord", "Job", "LedgerError", "collect_sources",
           "model_description", "outputs_done", "plan_jobs", "process_one", "run_batch", "write_job"]


# --- one image -----------------------------------------------------------------------

def model_description(segmenter: Segmenter) -> dict[str, Any]:
    return describe_model(segmenter.loaded.meta)


def outputs_done(job: Job, formats: Iterable[str]) -> bool:
    return all(p.exists() for p in output_paths(job.stem, formats).values())


def write_job(job: Job, out_dir: Path, image: np.ndarray, result: SegmentationResult, segmenter: Segmenter,
              formats: Iterable[str], overwrite: bool, cancel: threading.Event | None = None) -> FileRecord:
    """Write one image's files (all or, on ``Cancelled``, none of them) and its record."""
    classes = segmenter.loaded.meta.classes
    paths = output_paths(job.stem, formats)
    write_outputs(paths, image, result, classes, str(job.source), model_description(segmenter), overwrite,
                  cancel)
    names = [classes.names[i] if i < len(classes) else f"class {i}" for i in result.present_classes()]
    return FileRecord(str(job.source), "ok", round(result.seconds, 4), names, "",
                      relative_names(paths.values(), out_dir), list(result.notes))


def process_one(job: Job, segmenter: Segmenter, out_dir: str | Path, formats: Iterable[str] = OUTPUT_FORMATS,
                settings: ProtocolSettings | None = None, overwrite: bool = False,
                cancel: threading.Event | None = None) -> FileRecord:
    """Read, segment and write one image; errors become a 'failed' record, never an exception
    (except ``Cancelled``, which leaves no file of this image behind)."""
    formats = tuple(formats)
    out_dir = Path(out_dir)
    if not overwrite and outputs_done(job, formats):
        return FileRecord(str(job.source), "skipped",
                          outputs=relative_names(output_paths(job.stem, formats).values(), out_dir))
    started = time.perf_counter()
    try:
        image = read_image(job.source, cancel=cancel)
        result = segmenter.segment(image, settings, cancel=cancel)
        return write_job(job, out_dir, image, result, segmenter, formats, overwrite, cancel)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - reported per file, the run goes on
        return failure_record(job, exc, time.perf_counter() - started)


# --- the loop ------------------------------------------------------------------------

def run_batch(jobs: list[Job], segmenter: Segmenter, out_dir: str | Path,
              formats: Iterable[str] = OUTPUT_FORMATS, settings: ProtocolSettings | None = None,
              overwrite: bool = False, cancel: threading.Event | None = None,
              on_progress: Callable[[int, int], None] | None = None,
              on_file: Callable[[FileRecord], None] | None = None, io_threads: int = 2,
              replace_edited: bool = False, images_per_forward: int = 1) -> BatchReport:
    """Segment every job the ledger lets run; decoding ahead and writing behind overlap
    with inference.

    Records come back in job order. On cancel, images not started are 'cancelled',
    the one on the network is dropped (no file of it is written), and so is any
    image still being written (its temporaries are removed: each image's files
    appear all together or not at all); those stay 'cancelled', not done.
    ``images_per_forward`` > 1 (window protocols only; others ignore it): that many images
    are read ahead and segmented together, their windows sharing forwards
    (``Segmenter.segment_many``); each is still its own record and its own files.
    ``on_progress(done, total)`` and ``on_file(record)`` are called from the calling thread. ``LedgerError`` when the
    run cannot start (folder in use or unwritable); failed writes are per-file
    failures and run-level ``report.problems``, never exceptions.
    """
    started = time.perf_counter()
    settings = settings if settings is not None else segmenter.loaded.meta.protocol("fast")
    ledger = BatchLedger.start(jobs, out_dir, segmenter.loaded.meta, settings, formats, overwrite,
                               replace_edited)
    try:
        cancelled = _loop(ledger, segmenter, settings, cancel, on_progress, on_file, io_threads,
                          images_per_forward)
    except BaseException:
        ledger.close()
        raise
    return ledger.finish(time.perf_counter() - started, cancelled)


def _loop(ledger: BatchLedger, segmenter: Segmenter, settings: ProtocolSettings,
          cancel: threading.Event | None, on_progress: Callable[[int, int], None] | None,
          on_file: Callable[[FileRecord], None] | None, io_threads: int, images_per_forward: int) -> bool:
    jobs, out_dir, formats = ledger.jobs, ledger.out_dir, ledger.formats
    pending_writes: list[tuple[int, Future]] = []
    done = 0
    cancelled = False

    def finish(index: int, record: FileRecord) -> None:
        nonlocal done
        record = ledger.record(index, record)
        done += 1
        if on_file is not None:
            on_file(record)
        if on_progress is not None:
            on_progress(done, len(jobs))

    def drain(block: bool) -> None:
        nonlocal cancelled
        for item in list(pending_writes):
            index, future = item
            if block or future.done():
                pending_writes.remove(item)
                try:
                    finish(index, future.result())
                except Cancelled:
                    cancelled = True  # nothing of it was written: it stays not done
                except Exception as exc:  # noqa: BLE001 - a failed write is this file's failure
                    finish(index, ledger.failed_record(index, exc))

    for _index, record in ledger.decided():
        done += 1
        if on_file is not None:
            on_file(record)
        if on_progress is not None:
            on_progress(done, len(jobs))
    todo = ledger.todo
    group_size = images_per_forward if images_per_forward > 1 and segmenter.groups_images(settings) else 1
    groups = [todo[first:first + group_size] for first in range(0, len(todo), group_size)]
    with ThreadPoolExecutor(max_workers=max(1, io_threads), thread_name_prefix="batch-io") as pool:
        reads: dict[int, Future] = {}

        def prefetch(number: int) -> None:  # a whole group is read ahead while one is on the network
            for index in groups[number] if number < len(groups) else ():
                if index not in reads:
                    reads[index] = pool.submit(read_image, jobs[index].source)

        prefetch(0)
        for number, group in enumerate(groups):
            if cancel is not None and cancel.is_set():
                cancelled = True
                break
            prefetch(number + 1)
            t0 = time.perf_counter()
            try:
                segmented = _segment_group(segmenter, [reads.pop(index) for index in group], settings, cancel)
            except Cancelled:
                cancelled = True
                break
            for index, outcome in zip(group, segmented):
                if isinstance(outcome, Exception):  # per-file failure
                    finish(index, ledger.failed_record(index, outcome, time.perf_counter() - t0))
                    drain(block=False)
                    continue
                image, result = outcome
                pending_writes.append((index, pool.submit(write_job, jobs[index], out_dir, image, result,
                                                          segmenter, formats, ledger.overwrite_for(index),
                                                          cancel)))
                drain(block=False)
                while len(pending_writes) > 2 * max(1, io_threads):  # bound the results held in memory
                    pending_writes[0][1].exception()  # wait for the oldest write
                    drain(block=False)
        drain(block=True)
        for future in reads.values():
            future.cancel()
    return cancelled


def _segment_group(segmenter: Segmenter, reads: list[Future], settings: ProtocolSettings,
                   cancel: threading.Event | None
                   ) -> list[tuple[np.ndarray, SegmentationResult] | Exception]:
    """(image, result) of each read, in order, or the exception that is its failure.

    One image: ``segment``, as the loop always did. Several: the images that could be
    read go through ``segment_many`` together; should that raise anything but
    ``Cancelled``, each is segmented alone, so only the image at fault fails.
    """
    images: dict[int, np.ndarray] = {}
    outcomes: dict[int, SegmentationResult | Exception] = {}
    for position, future in enumerate(reads):
        try:
            images[position] = future.result()
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - an unreadable file fails alone
            outcomes[position] = exc
    if len(images) > 1:
        try:
            outcomes.update(zip(images, segmenter.segment_many(list(images.values()), settings, cancel=cancel)))
        except Cancelled:
            raise
        except Exception:  # noqa: BLE001, S110 - each image alone, below, finds the one at fault
            pass
    for position, image in images.items():
        if position not in outcomes:
            try:
                outcomes[position] = segmenter.segment(image, settings, cancel=cancel)
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - per-file failure
                outcomes[position] = exc
    return [(images[p], outcome) if isinstance(outcome, SegmentationResult) else outcome
            for p, outcome in sorted(outcomes.items())]
