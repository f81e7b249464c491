"""NAME.json records are read by one reader (app.engine.ledger_states.read_record) in the
ledger's edited check, a lost worker's recovery and the label files: a FIFO is never
waited on, and a record is read the same way everywhere."""

from __future__ import annotations

import json
import os
import threading

import pytest

from app.cluster.recovery import recovered_record
from app.engine.ledger_states import is_edited, read_record
from app.engine.records import Job
from app.labels import label_files


def finishes(fn, *args):
    """fn(*args) in a thread; its result, or a failure when it blocks (as reading a FIFO does)."""
    out = []
    worker = threading.Thread(target=lambda: out.append(fn(*args)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), f"{fn.__name__} blocked on a named pipe"
    return out[0]


@pytest.fixture
def fifo_record(tmp_path):
    path = tmp_path / "photo.json"
    os.mkfifo(path)
    return path


def test_a_fifo_record_is_not_edited_and_not_waited_on(fifo_record):
    assert finishes(is_edited, fifo_record) is False


def test_a_lost_workers_recovery_does_not_wait_on_a_fifo_record(tmp_path, fifo_record):
    job = Job(tmp_path / "photo.png", tmp_path / "photo")
    record = finishes(recovered_record, job, tmp_path, ("label", "json"))
    assert record.status == "ok" and record.classes == []  # nothing to read back, nothing waited for


def test_recovery_reads_classes_and_time_back(tmp_path):
    (tmp_path / "photo.json").write_text(json.dumps({"classes": [{"name": "sky"}], "seconds": 1.5}))
    record = recovered_record(Job(tmp_path / "photo.png", tmp_path / "photo"), tmp_path, ("label", "json"))
    assert record.classes == ["sky"] and record.seconds == 1.5


def test_one_reader_for_records():
    assert label_files.read_record is read_record
