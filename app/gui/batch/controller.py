"""One batch run, driven from the GUI thread, with each image a job in the inference worker.

The worker owns the model, so every image goes through its job slot as the engine's
``process_one`` (read, segment, write: the same files as ``segment``). The next image
is submitted only when the previous one has finished, so a viewer request waiting in
the worker runs in between: viewing stays responsive during a long run.

Cancelling sets a ``threading.Event`` directly from the GUI thread; the engine checks
it between windows and raises ``Cancelled`` before anything of that image is written.
Images whose outputs all exist are skipped here, without the worker (resume).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.engine.batch import BatchReport, FileRecord, Job, outputs_done, process_one
from app.engine.result import Cancelled
from app.engine.writers import output_paths, write_run_files
from app.gui.batch.options import BatchOptions, RateMeter
from app.gui.inspector.jobs import worker_submitter


def _relative(paths: list[Path], out_dir: Path) -> list[str]:
    return [str(p.relative_to(out_dir)) if p.is_relative_to(out_dir) else str(p) for p in paths]


def protocol_settings(meta: Any, name: str) -> Any:
    """The same settings ``segment --protocol NAME`` uses (flip only for 'official')."""
    return meta.protocol(name).with_overrides(name=name, flip=(name == "official"))


def _prepare(segmenter: Any, protocol: str) -> tuple[dict[str, Any], Any, Any]:
    from app.engine.batch import model_description

    meta = segmenter.loaded.meta
    return model_description(segmenter), meta.classes, protocol_settings(meta, protocol)


def _one_image(segmenter: Any, job: Job, options: BatchOptions, settings: Any,
               cancel: threading.Event, expected_meta: Any) -> FileRecord:
    if expected_meta is not None and segmenter.loaded.meta is not expected_meta:
        cancel.set()  # weights changed under the run: never mix two models' labels in one run
        return FileRecord(str(job.source), "cancelled")
    try:
        return process_one(job, segmenter, options.output_dir, options.formats, settings,
                           options.overwrite, cancel)
    except Cancelled:
        return FileRecord(str(job.source), "cancelled")


class BatchRun(QObject):
    fileStarted = Signal(object)      # Path of the image now in the worker
    fileFinished = Signal(int, object)  # job index, FileRecord
    progressChanged = Signal()        # read .meter and .current
    failedToStart = Signal(str)       # e.g. no model loaded
    finished = Signal(object)         # BatchReport (cancelled or not)

    def __init__(self, worker: QObject, options: BatchOptions, jobs: list[Job],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.options, self.jobs = options, jobs
        self.cancel_event = threading.Event()
        self.records: list[FileRecord | None] = [None] * len(jobs)
        self.meter = RateMeter(len(jobs))
        self.current: Path | None = None
        self.report: BatchReport | None = None
        self.run_files_error = ""
        self.model_description: dict[str, Any] = {}
        self.classes: Any = None
        self.expected_meta: Any = None  # the model the run is for; another one in the worker stops it
        self.settings: Any = None
        self._todo: list[int] = []
        self._position = 0
        self._submit = worker_submitter(worker)

    # --- control (GUI thread) -------------------------------------------------------------
    def start(self) -> None:
        options = self.options
        Path(options.output_dir).mkdir(parents=True, exist_ok=True)
        for index, job in enumerate(self.jobs):
            if not options.overwrite and outputs_done(job, options.formats):
                paths = list(output_paths(job.stem, options.formats).values())
                self._record(index, FileRecord(str(job.source), "skipped",
                                               outputs=_relative(paths, Path(options.output_dir))), False)
            else:
                self._todo.append(index)
        protocol = options.protocol
        self._submit(lambda segmenter: _prepare(segmenter, protocol), self._on_prepared, self._on_not_started)

    def cancel(self) -> None:
        """Stop after the image in the worker (its own windows check the event too)."""
        self.cancel_event.set()

    def is_running(self) -> bool:
        return self.report is None

    def finish_now(self) -> BatchReport:
        """End the run at once (the window is closing and the worker is stopped)."""
        self.cancel_event.set()
        if self.report is None:
            self._finish()
        return self.report  # type: ignore[return-value]

    # --- the loop --------------------------------------------------------------------------
    def _on_prepared(self, prepared: tuple[dict[str, Any], Any, Any]) -> None:
        self.model_description, self.classes, self.settings = prepared
        self._next()

    def _on_not_started(self, message: str) -> None:
        if self.report is None:
            self.failedToStart.emit(message)
            self._finish()

    def _next(self) -> None:
        if self.report is not None:
            return
        if self.cancel_event.is_set() or self._position >= len(self._todo):
            self._finish()
            return
        index = self._todo[self._position]
        self._position += 1
        job, options, settings, cancel = self.jobs[index], self.options, self.settings, self.cancel_event
        expected = self.expected_meta
        self.current = job.source
        self.meter.begin_segment()
        self.fileStarted.emit(job.source)
        self.progressChanged.emit()
        self._submit(lambda segmenter: _one_image(segmenter, job, options, settings, cancel, expected),
                     lambda record: self._on_done(index, record),
                     lambda message: self._on_done(index, FileRecord(str(job.source), "failed", error=message)))

    def _on_done(self, index: int, record: FileRecord) -> None:
        if self.report is not None:
            return  # the run was ended meanwhile (window closing)
        if record.status != "cancelled":
            self._record(index, record, True)
        self.current = None
        self._next()

    def _record(self, index: int, record: FileRecord, segmented: bool) -> None:
        self.records[index] = record
        self.meter.finish(segmented)
        self.fileFinished.emit(index, record)
        self.progressChanged.emit()

    def _finish(self) -> None:
        records = [r if r is not None else FileRecord(str(job.source), "cancelled")
                   for r, job in zip(self.records, self.jobs)]
        cancelled = any(r.status == "cancelled" for r in records)
        self.report = BatchReport(Path(self.options.output_dir), records, self.meter.elapsed(), cancelled)
        self.current = None
        self._write_run_files(self.report)
        self.finished.emit(self.report)

    def _write_run_files(self, report: BatchReport) -> None:
        """labelmap.txt, summary.json, summary.csv, as ``segment`` writes them (small: GUI thread)."""
        if self.classes is None:
            return  # the model never answered: nothing ran
        summary = {"model": self.model_description, "formats": list(self.options.formats), **report.to_dict()}
        try:
            write_run_files(report.out_dir, self.classes, summary)
        except OSError as exc:
            self.run_files_error = f"Could not write the run summary in {report.out_dir}: {exc}"
