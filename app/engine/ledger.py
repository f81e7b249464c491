"""The batch ledger: one policy for what a run may write, used by every batch loop.

The local engine (``batch.run_batch``), the window's ``BatchRun`` and the Ray driver
all go through a ``BatchLedger``: it takes the output folder's lock, removes the
temporaries its own killed runs left, decides per image (run, skip as done, keep as
edited, or fail because something else is in the way), keeps the records, logs
the tracebacks of programming errors, records what was written in the folder's
manifest, and writes the run files. The write policy:

- an image's outputs are adopted (skipped, resume) only when the manifest shows
  that this project wrote exactly those files for the same image (path, size,
  time) with the same model and settings; anything else of an output's name (a
  user's photo, a folder, a link, a map from a run with other settings) is kept
  and the image fails with a message naming it, unless ``overwrite``;
- an image whose ``NAME.json`` says ``"edited": true`` (changed by a person in the
  label editor) is never replaced, even with ``overwrite``, unless ``replace_edited``;
- run files (``summary.json``, ``summary.csv``, ``labelmap.txt``) are replaced only
  when the manifest shows this project wrote them; never a user's file of that name.

Writes that fail (full disk, a name too long, a folder in the way) are per-file
failures or run-level ``problems`` of the report, never exceptions.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterable

from app.engine.ledger_lock import FolderInUse, FolderLock
from app.engine.ledger_manifest import (Manifest, ManifestError, file_signature, identity_key,
                                        model_description, run_identity, source_signature)
from app.engine.ledger_names import LOCK_NAME, LOG_NAME, MANIFEST_NAME, remove_own_temporaries
from app.engine.ledger_states import EDITED_NOTE, MISSING, OURS, edited_since_written, output_state
from app.engine.records import BatchReport, FileRecord, Job, failure_record, relative_names
from app.engine.writers import OUTPUT_FORMATS, RUN_FILES, cvat_labelmap, output_paths, summary_csv, write_bytes
from app.fileio import append_text


class LedgerError(RuntimeError):
    """The run cannot start: the folder is in use, cannot be written, or holds a foreign manifest."""


class BatchLedger:
    """Open it (``start``) before writing anything, ``record`` each image, ``finish`` once."""

    def __init__(self, jobs: list[Job], out_dir: str | Path, meta: Any, settings: Any = None,
                 formats: Iterable[str] = OUTPUT_FORMATS, overwrite: bool = False,
                 replace_edited: bool = False, identity: dict[str, Any] | None = None,
                 overwrite_hint: str = "--overwrite", replace_edited_hint: str = "--replace-edited") -> None:
        self.jobs, self.out_dir, self.meta, self.settings = jobs, Path(out_dir), meta, settings
        self.formats = tuple(formats)
        self.overwrite, self.replace_edited = overwrite, replace_edited
        self.hints = (overwrite_hint, replace_edited_hint)
        self.identity = identity if identity is not None else run_identity(meta, settings)
        self.key = identity_key(self.identity)
        self.model = model_description(meta)
        self.records: list[FileRecord | None] = [None] * len(jobs)
        self.todo: list[int] = []
        self.job_overwrite: dict[int, bool] = {}
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.log_path = self.out_dir / LOG_NAME
        self.manifest = Manifest(self.out_dir / MANIFEST_NAME)
        self._lock = FolderLock(self.out_dir, LOCK_NAME)
        self._identity_recorded = False
        self._manifest_failures = 0
        self._decided: list[tuple[int, FileRecord]] = []
        self._before: dict[int, dict[str, tuple[list[int] | None, bool]]] = {}  # todo: signature, ours
        self.finished: BatchReport | None = None

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> BatchLedger:
        return cls(*args, **kwargs).open()

    # --- opening: lock, manifest, tidy, decide -------------------------------------------
    def open(self) -> BatchLedger:
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except FolderInUse as exc:
            raise LedgerError(str(exc)) from None
        except OSError as exc:
            raise LedgerError(f"cannot write to the output folder {self.out_dir}: {exc.strerror or exc}") from None
        try:
            self.manifest = Manifest.read(self.manifest.path)
            removed = remove_own_temporaries(self.out_dir, self.jobs)
        except (ManifestError, OSError) as exc:
            self.close()
            raise LedgerError(str(exc)) from None
        if self._lock.took_over:
            self.notes.append(f"took over the lock of a run that had stopped ({self._lock.took_over})")
        if removed:
            self.notes.append(f"removed {removed} temporary file{'s' if removed != 1 else ''} "
                              "an interrupted run had left")
        for index, job in enumerate(self.jobs):
            self._decide(index, job)
        self._decided = [(i, r) for i, r in enumerate(self.records) if r is not None]
        return self

    def __enter__(self) -> BatchLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder (``finish`` does this too); safe to call twice."""
        self._lock.release()

    def _decide(self, index: int, job: Job) -> None:
        if job.problem:
            self._preset(index, job, "failed", error=job.problem)
            return
        entry = self.manifest.images.get(self._image_key(job))
        edited = edited_since_written(output_paths(job.stem, ("json",))["json"], entry)
        if edited and not self.replace_edited:
            self._preset(index, job, "skipped", notes=[
                f"{EDITED_NOTE} (use {self.hints[1]} to label it again)"])
            return
        wanted = output_paths(job.stem, self.formats)
        states = {fmt: output_state(job, fmt, path, entry, self.key) for fmt, path in wanted.items()}
        self._before[index] = {fmt: (file_signature(path), states[fmt] == OURS) for fmt, path in wanted.items()}
        if self.overwrite or edited:
            folders = [p for p in wanted.values() if p.is_dir() and not p.is_symlink()]
            if folders:
                self._preset(index, job, "failed", error=f"{folders[0]} is a folder; it was kept and the "
                                                         "image not labelled. Choose a new output folder")
                return
            self.todo.append(index)
            self.job_overwrite[index] = True
            return
        if all(s == OURS for s in states.values()):
            self._preset(index, job, "skipped")
            return
        foreign = [(wanted[fmt], why) for fmt, why in states.items() if why not in (OURS, MISSING)]
        if foreign:
            path, why = foreign[0]
            more = f" (and {len(foreign) - 1} more of its outputs)" if len(foreign) > 1 else ""
            self._preset(index, job, "failed", error=(
                f"{path}{more} is in the way: it {why}. It was kept and the image not labelled; "
                f"use {self.hints[0]} to replace it, or choose a new output folder"))
            return
        self.todo.append(index)
        self.job_overwrite[index] = False

    def _image_key(self, job: Job) -> str:
        return Path(os.path.relpath(job.stem, self.out_dir)).as_posix()  # whether given relative or not

    def _preset(self, index: int, job: Job, status: str, error: str = "", notes: list[str] | None = None) -> None:
        outputs = relative_names(output_paths(job.stem, self.formats).values(), self.out_dir) \
            if status == "skipped" else []
        self.records[index] = FileRecord(str(job.source), status, error=error, outputs=outputs, notes=notes or [])

    # --- during the run ------------------------------------------------------------------
    def decided(self) -> list[tuple[int, FileRecord]]:
        """The records settled when the ledger opened (skipped, kept, failed), in job order."""
        return list(self._decided)

    def overwrite_for(self, index: int) -> bool:
        """Whether the image's existing outputs may be replaced (else only missing ones are written)."""
        return self.job_overwrite.get(index, False)

    def failed_record(self, index: int, exc: BaseException, seconds: float = 0.0) -> FileRecord:
        return failure_record(self.jobs[index], exc, seconds)

    def record(self, index: int, record: FileRecord) -> FileRecord:
        """Keep an image's record: log its traceback, note its files in the manifest."""
        if record.traceback:
            record.error = self._log(record)
        if record.status in ("ok", "failed") and index in self.job_overwrite:
            self._note_written(index)
        self.records[index] = record
        return record

    def _log(self, record: FileRecord) -> str:
        text = (f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}: {record.input}\n"
                f"{record.traceback.rstrip()}\n")
        record.traceback = ""
        try:
            append_text(self.log_path, text)  # never through a link planted under the log's name
        except OSError as exc:
            self.problems.append(f"could not write the error log {self.log_path}: {exc.strerror or exc}; "
                                 f"the traceback was:\n{text}")
            return f"{record.error} (an internal error; please report it)"
        return f"{record.error} (an internal error; its traceback is in {self.log_path}, please report it)"

    def _note_written(self, index: int) -> None:
        """Record the image's files this run wrote (changed since the ledger opened) and those
        it kept as its own; a failed image's finished files count too (its rerun adopts them)."""
        job = self.jobs[index]
        files = {}
        for fmt, path in output_paths(job.stem, self.formats).items():
            signature = file_signature(path)
            before, ours = self._before.get(index, {}).get(fmt, (None, False))
            if signature is not None and (signature != before or ours):
                files[fmt] = [path.name, *signature]
        if not files:
            return
        try:
            if not self._identity_recorded:
                self.manifest.append({"identity": self.key, **self.identity})
                self._identity_recorded = True
            self.manifest.append({"image": self._image_key(job), **source_signature(job.source),
                                  "identity": self.key, "files": files})
        except OSError as exc:
            self._manifest_failures += 1
            if self._manifest_failures == 1:
                self.problems.append(f"could not record the written files in {self.manifest.path} "
                                     f"({exc.strerror or exc}); a rerun will not resume them")

    # --- the end -------------------------------------------------------------------------
    def finish(self, seconds: float, cancelled: bool = False) -> BatchReport:
        """The report (images never finished are 'cancelled'); writes the run files and
        releases the folder. Problems writing them are in ``report.problems``."""
        if self.finished is not None:
            return self.finished
        records = [r if r is not None else FileRecord(str(job.source), "cancelled")
                   for r, job in zip(self.records, self.jobs)]
        report = BatchReport(self.out_dir, records, seconds, cancelled, self.problems, self.notes)
        try:
            self._write_run_files(report)
            self._compact()
        finally:
            self.close()
        self.finished = report
        return report

    def _write_run_files(self, report: BatchReport) -> None:
        summary = {"model": self.model, "formats": list(self.formats), **report.to_dict()}
        contents = {"labelmap.txt": lambda: cvat_labelmap(self.meta.classes),
                    "summary.json": lambda: json.dumps(summary, indent=2),
                    "summary.csv": lambda: summary_csv(summary["files"])}
        for name in RUN_FILES:
            path = self.out_dir / name
            signature = file_signature(path)
            if os.path.lexists(path) and (signature is None or self.manifest.run_files.get(name) != signature):
                what = "is a folder" if path.is_dir() and not path.is_symlink() else \
                    "was not written by this app (or was changed since)"
                self.problems.append(f"{path} {what}: it was kept, and this run's {name} was not written; "
                                     "choose a new output folder to get it")
                continue
            try:
                write_bytes(path, contents[name]().encode("utf-8"), overwrite=True)
                written = file_signature(path)
                if written is not None:
                    self.manifest.append({"run_file": name, "size": written[0], "mtime_ns": written[1]})
            except OSError as exc:
                self.problems.append(f"could not write {path}: {exc.strerror or exc}")

    def _compact(self) -> None:
        if not self.manifest.exists:
            return
        try:
            self.manifest.compact()
        except OSError as exc:
            self.problems.append(f"could not tidy {self.manifest.path} ({exc.strerror or exc}); "
                                 "the next run reads it as it is")
