"""Edits prepared off the map (for a worker thread) and committed: the map is only read
while preparing, the commit gives what the direct edit gives, and stale edits are refused."""

from __future__ import annotations

import numpy as np
import pytest

from app.editing import LabelMapEdit, tools
from app.editing.prepared import (StaleEdit, prepare_fill, prepare_paint, prepare_redo, prepare_replace,
                                  prepare_undo)
from app.engine.histogram import class_counts


def random_map(seed: int, shape=(90, 120), classes: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, classes, (shape[0] // 6, shape[1] // 6)).astype(np.uint8)
    return np.kron(small, np.ones((6, 6), np.uint8))  # blocks: fills reach many pixels


def check_counts(doc: LabelMapEdit) -> None:
    assert np.array_equal(doc.counts[:256], class_counts(doc.labels, 256)[:256])


@pytest.mark.parametrize("seed", range(3))
def test_preparing_reads_the_map_only_and_commit_equals_the_direct_edit(seed):
    labels = random_map(seed)
    labels[:3, :5] = 255  # ignore pixels are counted and replaced like any value
    doc, twin = LabelMapEdit(labels.copy(), 4), LabelMapEdit(labels.copy(), 4)
    polygon = tools.polygon_region(doc.shape, [(5, 5), (100, 12), (60, 80)])
    cases = [(lambda d: prepare_fill(d, 40, 30, 3), lambda d: d.fill(40, 30, 3)),
             (lambda d: prepare_paint(d, polygon, 1), lambda d: d.paint(polygon, 1)),
             (lambda d: prepare_replace(d, 2, 0), lambda d: d.replace(2, 0)),
             (lambda d: prepare_replace(d, 255, 1), lambda d: d.replace(255, 1)),
             (prepare_undo, LabelMapEdit.undo), (prepare_undo, LabelMapEdit.undo),
             (prepare_redo, LabelMapEdit.redo)]
    for prepare, direct in cases:
        before, counts, state = doc.labels.copy(), doc.counts.copy(), doc.history.state
        edit = prepare(doc)
        assert edit is not None
        assert np.array_equal(doc.labels, before) and np.array_equal(doc.counts, counts)
        assert doc.history.state == state  # nothing recorded until the commit
        assert doc.commit(edit) == direct(twin)
        assert np.array_equal(doc.labels, twin.labels)
        check_counts(doc)
    assert doc.history.undo_steps() == twin.history.undo_steps() == 3


def test_nothing_to_do_prepares_nothing():
    doc = LabelMapEdit(np.zeros((20, 30), np.uint8), 3)
    assert prepare_fill(doc, 3, 3, 0) is None          # already that class
    assert prepare_fill(doc, 99, 3, 1) is None         # outside the map
    assert prepare_replace(doc, 2, 1) is None          # no pixel of class 2
    assert prepare_undo(doc) is None and prepare_redo(doc) is None
    assert doc.commit(None) is None
    with pytest.raises(ValueError):
        prepare_fill(doc, 3, 3, 7)                     # not a class


def test_an_edit_prepared_before_another_change_is_refused():
    doc = LabelMapEdit(random_map(5), 4)
    late = prepare_replace(doc, 1, 2)
    doc.fill(0, 0, 3)
    with pytest.raises(StaleEdit):
        doc.commit(late)
    doc.undo()                       # the redo stack holds the fill
    redo_fill = prepare_redo(doc)
    assert doc.replace(0, 1) is not None
    doc.undo()                       # the same state again, but the redo stack holds the replace
    assert doc.history.state == redo_fill.base_state
    with pytest.raises(StaleEdit):
        doc.commit(redo_fill)
    edit = prepare_replace(doc, 2, 3)
    doc.begin_stroke()
    doc.stroke_to((5, 5), (40, 5), 5, 3)
    with pytest.raises(StaleEdit):   # a stroke in progress changes the map before it is a step
        doc.commit(edit)
