"""A label folder's own text files (labelmap.txt, NAME.json, review.json) are read only as
regular files, in one open: a FIFO there is named, never waited on, also when it is swapped
in after the folder was looked at."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from app.engine.writers import cvat_labelmap
from app.labels.label_files import LabelFileError, read_labelmap, read_record
from app.labels.review import ReviewStore
from app.training.scenes import scene_classes

REVIEW = {"format": "pspnet-studio-review", "version": 1, "images": {"a.jpg": {"state": "accepted"}}}


def swapped_for_a_fifo_after_checking(monkeypatch, target: Path) -> None:
    """``target`` is a regular file when is_file() looks at it, and a FIFO from then on."""
    real_is_file = Path.is_file

    def is_file(self: Path, *args: Any, **kwargs: Any) -> bool:
        answer = real_is_file(self, *args, **kwargs)
        if self == target and answer:
            target.unlink()
            os.mkfifo(target)
        return answer
    monkeypatch.setattr(Path, "is_file", is_file)


def finishes(call: Callable[[], Any], fifo: Path) -> dict[str, Any]:
    """``call``'s value or error; a call blocked on ``fifo`` is freed (and the test fails)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            outcome["error"] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    blocked = thread.is_alive()
    if blocked:  # the bug: waiting for a writer on the FIFO; give it one so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(10)
    assert not blocked, f"blocked reading the FIFO {fifo.name}"
    return outcome


def test_a_fifo_labelmap_is_named_not_taken_for_no_labelmap(tmp_path):
    """It was skipped (is_file() is False for a FIFO): the model's classes were used without a word."""
    os.mkfifo(tmp_path / "labelmap.txt")
    with pytest.raises(LabelFileError, match=r"labelmap.txt: is a named pipe \(FIFO\), not a regular file"):
        read_labelmap(tmp_path)


def test_a_missing_labelmap_is_none_and_a_huge_one_is_refused(tmp_path):
    assert read_labelmap(tmp_path) is None
    with open(tmp_path / "labelmap.txt", "wb") as big:
        big.truncate(17 << 20)
    with pytest.raises(LabelFileError, match="more than the 16 MB"):
        read_labelmap(tmp_path)


def test_a_labelmap_swapped_for_a_fifo_after_the_check_is_never_waited_on(tmp_path, monkeypatch):
    path = tmp_path / "labelmap.txt"
    path.write_text(cvat_labelmap(scene_classes()))
    swapped_for_a_fifo_after_checking(monkeypatch, path)
    outcome = finishes(lambda: read_labelmap(tmp_path), path)
    if "value" in outcome:  # read before any swap: the whole file, in one open
        assert outcome["value"].names == scene_classes().names
    else:
        assert "named pipe" in str(outcome["error"])


def test_a_record_swapped_for_a_fifo_after_the_check_is_never_waited_on(tmp_path, monkeypatch):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"classes": [{"index": 0, "name": "sky"}]}))
    swapped_for_a_fifo_after_checking(monkeypatch, path)
    outcome = finishes(lambda: read_record(path), path)
    assert outcome.get("value") in ({"classes": [{"index": 0, "name": "sky"}]}, None)


def test_a_fifo_or_a_huge_record_is_no_record(tmp_path):
    os.mkfifo(tmp_path / "a.json")
    assert finishes(lambda: read_record(tmp_path / "a.json"), tmp_path / "a.json") == {"value": None}
    from app.engine.ledger_states import MAX_RECORD_BYTES
    with open(tmp_path / "b.json", "wb") as big:
        big.truncate(MAX_RECORD_BYTES + 1)
    assert read_record(tmp_path / "b.json") is None


def test_a_record_of_a_model_with_many_classes_is_read_by_every_reader(tmp_path):
    """The review read NAME.json with a 4 MB limit, the editor and the ledger with 16 MB: the
    record segment writes for a 16-bit map with 30000 classes present (4.3 MB) was no record to
    the review (no class-name check, no confidence sort) but one to the editor. One reader now."""
    from app.editing import saving
    from app.labels import label_files
    from app.labels.confidence import read_mean_confidence
    from app.labels.label_files import record_class_names
    present = [{"index": i, "name": f"class {i}", "pixels": 123456, "fraction": 0.000123,
                "mean_confidence": 0.654321} for i in range(30000)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"image": {"path": "a.png"}, "mean_confidence": 0.5, "classes": present},
                               indent=2))  # as writers.write_outputs writes it
    assert path.stat().st_size > 4 << 20
    assert len(record_class_names(path)) == 30000
    assert read_mean_confidence(path) == 0.5
    assert saving.read_record is label_files.read_record  # the editor's save uses the same reader


def test_a_review_file_swapped_for_a_fifo_after_the_check_is_never_waited_on(tmp_path, monkeypatch):
    path = tmp_path / "review.json"
    path.write_text(json.dumps(REVIEW))
    swapped_for_a_fifo_after_checking(monkeypatch, path)
    store = finishes(lambda: ReviewStore(tmp_path), path)["value"]
    if store.error is None:  # read before any swap
        assert store.state("a.jpg").value == "accepted"
    else:
        assert "named pipe" in store.error and not store.writable


def test_a_fifo_review_file_is_named_and_never_written_over(tmp_path):
    os.mkfifo(tmp_path / "review.json")
    store = finishes(lambda: ReviewStore(tmp_path), tmp_path / "review.json")["value"]
    assert "review.json is a named pipe (FIFO), not a regular file" in store.error and not store.writable
    assert (tmp_path / "review.json").is_fifo()
