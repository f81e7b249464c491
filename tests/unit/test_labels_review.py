"""review.json: states, counts, atomic merged writes, and files that are not ours left alone."""

import json

import pytest

from app.labels.review import REVIEW_FILE, ReviewState, ReviewStore


def test_states_are_saved_and_read_back(tmp_path):
    store = ReviewStore(tmp_path)
    assert store.state("a.jpg") == ReviewState.UNREVIEWED and not (tmp_path / REVIEW_FILE).exists()
    store.set_state("a.jpg", ReviewState.ACCEPTED)
    store.set_state("b.jpg", ReviewState.NEEDS_WORK)
    again = ReviewStore(tmp_path)
    assert again.state("a.jpg") == ReviewState.ACCEPTED and again.state("b.jpg") == ReviewState.NEEDS_WORK
    assert again.counts(["a.jpg", "b.jpg", "c.jpg"]) == {ReviewState.UNREVIEWED: 1, ReviewState.ACCEPTED: 1,
                                                         ReviewState.NEEDS_WORK: 1}
    again.set_state("a.jpg", ReviewState.UNREVIEWED)
    doc = json.loads((tmp_path / REVIEW_FILE).read_text())
    assert doc["format"] == "pspnet-studio-review" and list(doc["images"]) == ["b.jpg"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporaries left


def test_two_windows_keep_each_others_marks(tmp_path):
    first, second = ReviewStore(tmp_path), ReviewStore(tmp_path)
    first.set_state("a.jpg", ReviewState.ACCEPTED)
    second.set_state("b.jpg", ReviewState.NEEDS_WORK)
    final = ReviewStore(tmp_path)
    assert final.state("a.jpg") == ReviewState.ACCEPTED and final.state("b.jpg") == ReviewState.NEEDS_WORK


@pytest.mark.parametrize("content, reason", [
    (b"{not json", "not valid JSON"),
    (b'{"images": {}}', "not a PSPNet Studio review file"),
    (b'["a list"]', "not a PSPNet Studio review file"),
    (b'{"format": "pspnet-studio-review", "version": 99, "images": {}}', "version 99"),
])
def test_corrupt_or_foreign_file_is_reported_and_never_overwritten(tmp_path, content, reason):
    (tmp_path / REVIEW_FILE).write_bytes(content)
    store = ReviewStore(tmp_path)
    assert not store.writable and reason in store.error
    store.set_state("a.jpg", ReviewState.ACCEPTED)  # kept in memory only
    assert store.state("a.jpg") == ReviewState.ACCEPTED
    assert (tmp_path / REVIEW_FILE).read_bytes() == content


def test_file_spoilt_after_loading_is_not_overwritten(tmp_path):
    store = ReviewStore(tmp_path)
    store.set_state("a.jpg", ReviewState.ACCEPTED)
    (tmp_path / REVIEW_FILE).write_text("someone else's notes")
    store.set_state("b.jpg", ReviewState.ACCEPTED)
    assert (tmp_path / REVIEW_FILE).read_text() == "someone else's notes"
    assert not store.writable and "not valid JSON" in store.error


def test_unknown_states_in_the_file_read_as_unreviewed(tmp_path):
    (tmp_path / REVIEW_FILE).write_text(json.dumps({"format": "pspnet-studio-review", "version": 1,
                                                    "images": {"a.jpg": {"state": "maybe"}, "b.jpg": 3}}))
    store = ReviewStore(tmp_path)
    assert store.writable and store.state("a.jpg") == ReviewState.UNREVIEWED


def test_missing_folder_is_created_on_first_mark(tmp_path):
    store = ReviewStore(tmp_path / "photos_labels")
    store.set_state("a.jpg", ReviewState.NEEDS_WORK)
    assert ReviewStore(tmp_path / "photos_labels").state("a.jpg") == ReviewState.NEEDS_WORK
