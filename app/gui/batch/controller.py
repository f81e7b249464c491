"""One batch run, driven from the GUI thread, with each image a job in the inference worker.

The worker owns the model, so every image goes through its job slot as the engine's
``process_one`` (read, segment, write: the same files as ``segment``). The next image
is submitted only when the previous one has finished, so a viewer request waiting in
the worker runs in between: viewing stays responsive during a long run.

What may be written is the engine's ``BatchLedger``'s decision, as for ``segment``:
it takes the output folder's lock (a second run on the same folder says it is in
use), skips images whose outputs this app wrote with the same model and settings
(resume), keeps maps edited by hand and files of other origin, keeps the records
and writes the run files. It opens in the worker (the weights are hashed there, off
the GUI thread), for the model the window describes (its ``ModelInfo``): the network
never leaves the worker, and a different model there stops the run.

Cancelling sets a ``threading.Event`` directly from the GUI thread; the engine checks
it between windows and raises ``Cancelled`` before anything of that image is written.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMetaMethod, QObject, Signal

from app.engine.batch import BatchReport, FileRecord, Job, process_one
from app.engine.ledger import BatchLedger, LedgerError
from app.engine.ledger_manifest import run_identity
from app.engine.result import Cancelled
from app.gui.batch.options import BatchOptions, RateMeter
from app.gui.worker_bridge import JobWorker, worker_submitter

if TYPE_CHECKING:  # annotations only
    from app.checkpoints.meta import ModelMeta, ProtocolSettings
    from app.engine.segmenter import Segmenter

OVERWRITE_HINT = '"Overwrite them" (under Already labelled)'
REPLACE_EDITED_HINT = '"Also replace maps edited by hand" (under Already labelled)'
MODEL_CHANGED = "The model changed before the batch started; run it again to label with the new model."


def _prepare(segmenter: Segmenter, meta: ModelMeta, settings: ProtocolSettings, options: BatchOptions,
             jobs: list[Job]) -> BatchLedger | str:
    """In the worker (off the GUI thread: the weights are hashed, every output looked at):
    the opened ledger, or why it cannot open."""
    if segmenter.loaded.meta is not meta:
        return MODEL_CHANGED
    try:
        return BatchLedger.start(jobs, options.output_dir, meta, settings, options.formats, options.overwrite,
                                 options.replace_edited, run_identity(meta, settings),
                                 OVERWRITE_HINT, REPLACE_EDITED_HINT)
    except LedgerError as exc:
        return str(exc)


def _one_image(segmenter: Segmenter, job: Job, options: BatchOptions, settings: ProtocolSettings,
               overwrite: bool, cancel: threading.Event, expected_meta: ModelMeta) -> FileRecord:
    if segmenter.loaded.meta is not expected_meta:
        cancel.set()  # weights changed under the run: never mix two models' labels in one run
        return FileRecord(str(job.source), "cancelled")
    try:
        return process_one(job, segmenter, options.output_dir, options.formats, settings, overwrite, cancel)
    except Cancelled:
        return FileRecord(str(job.source), "cancelled")


class BatchRun(QObject):
    """One run. Once finished it lets go of the worker and of its listeners (``_release``);
    whoever holds it (the window's link) deletes it when the next run starts."""

    # Qt carries these payload classes as PyObject; naming them documents the slots' types
    fileStarted = Signal(Path)              # the image now in the worker
    fileFinished = Signal(int, FileRecord)  # job index, its record
    progressChanged = Signal()              # read .meter and .current
    failedToStart = Signal(str)             # e.g. the output folder is in use
    finished = Signal(BatchReport)          # cancelled or not

    def __init__(self, worker: JobWorker, options: BatchOptions, jobs: list[Job], meta: ModelMeta,
                 settings: ProtocolSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.options, self.jobs = options, jobs
        self.cancel_event = threading.Event()
        self.records: list[FileRecord | None] = [None] * len(jobs)
        self.meter = RateMeter(len(jobs))
        self.current: Path | None = None
        self.report: BatchReport | None = None
        self.run_files_error = ""
        self.expected_meta = meta  # the model the run is for; another one in the worker stops it
        self.settings = settings
        self.ledger: BatchLedger | None = None
        self._todo: list[int] = []
        self._position = 0
        self._submit = worker_submitter(worker, parent=self)

    @property
    def started(self) -> bool:
        """The ledger opened (images were looked at); False for a run refused at its start."""
        return self.ledger is not None

    # --- control (GUI thread) -------------------------------------------------------------
    def start(self) -> None:
        options, jobs, meta, settings = self.options, self.jobs, self.expected_meta, self.settings
        self._submit(lambda segmenter: _prepare(segmenter, meta, settings, options, jobs),
                     self._on_prepared, self._on_not_started)

    def cancel(self) -> None:
        """Stop after the image in the worker (its own windows check the event too)."""
        self.cancel_event.set()

    def is_running(self) -> bool:
        return self.report is None

    def finish_now(self) -> BatchReport:
        """End the run at once (the window is closing and the worker is stopped)."""
        self.cancel_event.set()
        return self._finish() if self.report is None else self.report

    # --- the loop --------------------------------------------------------------------------
    def _on_prepared(self, ledger: BatchLedger | str) -> None:
        if isinstance(ledger, str):  # e.g. the folder is in use by another run
            self._on_not_started(ledger)
            return
        if self.report is not None:
            ledger.close()  # ended before the worker answered (window closing)
            return
        self.ledger = ledger
        for index, record in ledger.decided():
            self._record(index, record, False)
        self._todo = list(ledger.todo)
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
        overwrite = self.ledger.overwrite_for(index) if self.ledger is not None else False
        self.current = job.source
        self.meter.begin_segment()
        self.fileStarted.emit(job.source)
        self.progressChanged.emit()
        self._submit(lambda segmenter: _one_image(segmenter, job, options, settings, overwrite, cancel,
                                                      expected),
                     lambda record: self._on_done(index, record),
                     lambda message: self._on_done(index, FileRecord(str(job.source), "failed", error=message)))

    def _on_done(self, index: int, record: FileRecord) -> None:
        if self.report is not None:
            return  # the run was ended meanwhile (window closing)
        if record.status != "cancelled":
            if self.ledger is not None:
                record = self.ledger.record(index, record)
            self._record(index, record, True)
        self.current = None
        self._next()

    def _record(self, index: int, record: FileRecord, segmented: bool) -> None:
        self.records[index] = record
        self.meter.finish(segmented)
        self.fileFinished.emit(index, record)
        self.progressChanged.emit()

    def _finish(self) -> BatchReport:
        cancelled = any(r is None or r.status == "cancelled" for r in self.records)
        if self.ledger is not None:  # the run files, the manifest tidied, the folder released
            report = self.ledger.finish(self.meter.elapsed(), cancelled)
            self.run_files_error = "<br>".join(html.escape(p) for p in report.problems)
        else:  # never started: nothing was written
            records = [r if r is not None else FileRecord(str(job.source), "cancelled")
                       for r, job in zip(self.records, self.jobs)]
            report = BatchReport(Path(self.options.output_dir), records, self.meter.elapsed(), cancelled)
        self.report, self.current = report, None
        self.finished.emit(report)
        self._release()
        return report

    def _release(self) -> None:
        """A finished run answers no one: the worker's answers stop reaching it, and its
        signals stop reaching the window (its data stays readable: report, settings, jobs)."""
        self._submit.close()
        for signal in (self.fileStarted, self.fileFinished, self.progressChanged, self.failedToStart,
                       self.finished):
            if self.isSignalConnected(QMetaMethod.fromSignal(signal)):  # (disconnecting none warns)
                signal.disconnect()
