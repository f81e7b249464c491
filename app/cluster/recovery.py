"""Tidying up after a worker lost mid-image, so that nothing it left is mistaken
for a finished output and no temporary file of it stays behind."""

from __future__ import annotations

from pathlib import Path

from app.engine.ledger_states import read_record
from app.engine.records import FileRecord, Job, relative_names
from app.engine.writers import output_paths
from app.fileio import is_temp_name, temp_prefix


def remove_temporaries(job: Job, formats: tuple[str, ...]) -> list[Path]:
    """Delete the temporary files (``.NAME.xxxxxxxx.tmp``, the engine's atomic-write
    names) a dead worker left for this job's outputs; returns what was removed.
    Call it only when no one is writing this job any more."""
    removed = []
    for path in output_paths(job.stem, formats).values():
        prefix = temp_prefix(path)
        if not path.parent.is_dir():
            continue
        for temp in path.parent.iterdir():
            if is_temp_name(temp.name, prefix):
                temp.unlink(missing_ok=True)
                removed.append(temp)
    return removed


def recovered_record(job: Job, out_dir: Path, formats: tuple[str, ...]) -> FileRecord:
    """The record of an image whose lost worker wrote every output but died before
    reporting: 'ok' (the files are this run's), with the classes and time read back
    from ``NAME.json`` when that format was written."""
    paths = output_paths(job.stem, formats)
    record = FileRecord(str(job.source), "ok", outputs=relative_names(paths.values(), out_dir),
                        notes=["written by a worker that was lost before it reported"])
    if "json" in paths:
        data = read_record(paths["json"])
        try:
            if data is not None:
                record.classes = [c["name"] for c in data["classes"]]
                record.seconds = float(data["seconds"])
        except (ValueError, KeyError, TypeError):
            pass
    return record
