"""Painting only over one class (napari's "preserve labels", for semantic maps) and the fill
that is not contiguous, on the edit model: which pixels change, the undo step, the counts,
and the prepared (edit-thread) path against the direct one."""

from __future__ import annotations

import numpy as np
import pytest

from app.editing import IGNORE, LabelMapEdit, tools
from app.editing.prepared import prepare_fill, prepare_polygon
from app.engine.histogram import class_counts

SKY, WATER, PERSON, BOAT = 0, 1, 2, 3


def scene() -> np.ndarray:
    """Sky above water; a boat in the sky and one in the water (two separate regions); some ignore."""
    labels = np.full((60, 80), SKY, np.uint8)
    labels[30:] = WATER
    labels[8:14, 10:25] = BOAT
    labels[40:50, 50:70] = BOAT
    labels[0:4, 60:80] = IGNORE
    return labels


def counts_match(doc: LabelMapEdit) -> bool:
    return bool(np.array_equal(doc.counts[:256], class_counts(doc.labels, 256)[:256]))


def stroke(doc: LabelMapEdit, points, size: int, value: int, over: int | None = None) -> None:
    doc.begin_stroke()
    for start, end in zip(points[:1] + points[:-1], points):
        doc.stroke_to(start, end, size, value, over)
    doc.end_stroke()


def test_a_stroke_over_sky_changes_the_sky_it_crosses_and_nothing_else():
    before = scene()
    path = [(40.5, 5.5), (40.5, 55.5), (70.5, 20.5)]  # down through the sky into the water and back
    anywhere, over_sky = LabelMapEdit(before.copy(), 4), LabelMapEdit(before.copy(), 4)
    stroke(anywhere, path, 7, PERSON)
    stroke(over_sky, path, 7, PERSON, over=SKY)
    footprint = anywhere.labels != before
    assert (footprint & (before == WATER)).any() and (footprint & (before == SKY)).any(), "it crosses both"
    expected = np.where(footprint & (before == SKY), PERSON, before)
    np.testing.assert_array_equal(over_sky.labels, expected)
    assert counts_match(over_sky)
    changed = over_sky.labels != before
    step = over_sky.history.next_undo()
    rows, cols = np.nonzero(changed)
    assert step.box == (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1), "only the changed pixels' box"
    over_sky.undo()
    np.testing.assert_array_equal(over_sky.labels, before)
    assert counts_match(over_sky)
    over_sky.redo()
    np.testing.assert_array_equal(over_sky.labels, expected)


def test_a_thin_stroke_stores_only_the_pixels_it_changed():
    before = scene()
    doc = LabelMapEdit(before.copy(), 4)
    stroke(doc, [(2.5, 2.5), (77.5, 57.5)], 1, PERSON, over=WATER)  # a diagonal: few pixels of its box
    changed = doc.labels != before
    step = doc.history.next_undo()
    assert step.rows is not None and step.values.size == np.count_nonzero(changed) > 0
    assert (before[changed] == WATER).all() and (doc.labels[changed] == PERSON).all()
    doc.undo()
    np.testing.assert_array_equal(doc.labels, before)


def test_checking_the_current_value_is_checking_the_value_before_the_stroke():
    """A stroke that crosses itself: the value of a pixel it painted is the paint class, so it is
    never painted over again; the result is the footprint on the over class as it was."""
    before = scene()
    loop = [(10.5, 10.5), (60.5, 45.5), (60.5, 10.5), (10.5, 45.5), (10.5, 10.5)]
    anywhere, doc = LabelMapEdit(before.copy(), 4), LabelMapEdit(before.copy(), 4)
    stroke(anywhere, loop, 9, PERSON)
    stroke(doc, loop, 9, PERSON, over=BOAT)
    footprint = anywhere.labels != before
    np.testing.assert_array_equal(doc.labels, np.where(footprint & (before == BOAT), PERSON, before))


def test_the_eraser_over_a_class_erases_only_that_class_and_over_ignore_paints_only_ignore():
    before = scene()
    doc = LabelMapEdit(before.copy(), 4)
    stroke(doc, [(20.5, 10.5), (20.5, 50.5)], 5, IGNORE, over=WATER)
    changed = doc.labels != before
    assert changed.any() and (before[changed] == WATER).all() and (doc.labels[changed] == IGNORE).all()
    assert not (changed[:30]).any(), "the sky and the boat under the stroke stay"
    again = doc.labels.copy()
    stroke(doc, [(50.5, 1.5), (75.5, 1.5)], 3, PERSON, over=IGNORE)
    changed = doc.labels != again
    assert changed.any() and (again[changed] == IGNORE).all()
    assert (doc.labels[0:4, 60:80] == PERSON).sum() == np.count_nonzero(changed)
    assert counts_match(doc)


def test_a_polygon_over_a_class_fills_that_class_inside_it_only():
    before = scene()
    doc = LabelMapEdit(before.copy(), 4)
    corners = [(5, 5), (75, 5), (75, 55), (5, 55)]
    inside = tools.polygon_region(doc.shape, corners)
    doc.fill_polygon(corners, PERSON, over=BOAT)
    expected = before.copy()
    y0, y1, x0, x1 = inside.box
    window = expected[y0:y1, x0:x1]
    window[inside.mask & (window == BOAT)] = PERSON
    np.testing.assert_array_equal(doc.labels, expected)
    assert (doc.labels == PERSON).sum() == (before == BOAT).sum(), "both boats are inside"
    assert counts_match(doc)
    assert doc.fill_polygon([(1, 1), (3, 1), (3, 3)], PERSON, over=WATER) is None  # no water there
    assert doc.history.undo_steps() == 1


def test_a_fill_over_another_class_than_the_clicked_one_changes_nothing():
    before = scene()
    doc = LabelMapEdit(before.copy(), 4)
    assert doc.fill(40, 45, PERSON, over=SKY) is None  # water clicked
    np.testing.assert_array_equal(doc.labels, before)
    assert doc.fill(40, 45, PERSON, over=WATER) is not None
    assert (doc.labels[30:] == PERSON).sum() == (before[30:] == WATER).sum()
    assert (doc.labels[:30] == before[:30]).all()
    with pytest.raises(ValueError):
        doc.fill(40, 5, PERSON, over=9)  # not a class of the map


def test_a_fill_that_is_not_contiguous_changes_every_pixel_of_the_clicked_class_in_one_step():
    before = scene()
    doc = LabelMapEdit(before.copy(), 4)
    doc.fill(12, 10, PERSON, contiguous=False)  # the boat in the sky
    np.testing.assert_array_equal(doc.labels, np.where(before == BOAT, PERSON, before))
    assert doc.history.undo_steps() == 1 and counts_match(doc)
    doc.undo()
    np.testing.assert_array_equal(doc.labels, before)
    doc.fill(12, 10, PERSON)  # contiguous: the boat in the water stays
    assert (doc.labels[8:14, 10:25] == PERSON).all() and (doc.labels[40:50, 50:70] == BOAT).all()
    doc.undo()
    assert doc.fill(12, 10, PERSON, over=WATER, contiguous=False) is None  # a boat, not water
    np.testing.assert_array_equal(doc.labels, before)


@pytest.mark.parametrize("over", [None, SKY, BOAT, IGNORE])
def test_prepared_edits_with_over_commit_to_what_the_direct_edit_gives(over):
    before = scene()
    doc, twin = LabelMapEdit(before.copy(), 4), LabelMapEdit(before.copy(), 4)
    corners = [(3, 2), (70, 12), (40, 58)]
    region = tools.polygon_region(doc.shape, corners)
    cases = [(lambda d: prepare_polygon(d, region, PERSON, over), lambda d: d.fill_polygon(corners, PERSON, over)),
             (lambda d: prepare_fill(d, 12, 10, WATER, over, False),
              lambda d: d.fill(12, 10, WATER, over=over, contiguous=False)),
             (lambda d: prepare_fill(d, 5, 20, BOAT, over), lambda d: d.fill(5, 20, BOAT, over=over))]
    for prepare, direct in cases:
        state, labels = doc.history.state, doc.labels.copy()
        edit = prepare(doc)
        np.testing.assert_array_equal(doc.labels, labels)  # preparing only reads the map
        assert doc.history.state == state
        assert doc.commit(edit) == direct(twin)
        np.testing.assert_array_equal(doc.labels, twin.labels)
        assert counts_match(doc)
    assert doc.history.undo_steps() == twin.history.undo_steps()
    while doc.can_undo():
        doc.undo()
    np.testing.assert_array_equal(doc.labels, before)
