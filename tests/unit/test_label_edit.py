"""The Qt-free edit model: tools, strokes, undo/redo within a byte budget, counts, saving."""

from __future__ import annotations

import json
from collections import deque

import numpy as np
import pytest
from PIL import Image

from app.classes import generic_classes
from app.editing import IGNORE, EditHistory, LabelMapEdit
from app.editing import tools
from app.editing.recovery import read_recovery, remove_recovery, write_recovery
from app.editing.saving import is_edited, save_edited
from app.engine import writers


def reference_flood(labels: np.ndarray, x: int, y: int) -> np.ndarray:
    """A pixel-by-pixel 4-connected flood fill to check the run-based one against."""
    mask = np.zeros(labels.shape, bool)
    value = labels[y, x]
    todo = deque([(y, x)])
    mask[y, x] = True
    while todo:
        r, c = todo.popleft()
        for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= rr < labels.shape[0] and 0 <= cc < labels.shape[1] and not mask[rr, cc] \
                    and labels[rr, cc] == value:
                mask[rr, cc] = True
                todo.append((rr, cc))
    return mask


def reference_outputs(folder, labels, classes) -> dict:
    """What ``segment``'s writers make of the same labels."""
    from app.checkpoints.meta import ProtocolSettings
    from app.engine.histogram import class_counts
    from app.engine.result import SegmentationResult

    folder.mkdir()
    result = SegmentationResult(labels, np.ones(labels.shape, np.float32), class_counts(labels, len(classes)),
                                ProtocolSettings(), "cpu", 0.0)
    paths = writers.output_paths(folder / "photo", ["label", "color"])
    writers.write_outputs(paths, np.zeros(labels.shape + (3,), np.uint8), result, classes, "photo.jpg", {})
    return paths


def full_mask(region: tools.Region, shape) -> np.ndarray:
    out = np.zeros(shape, bool)
    y0, y1, x0, x1 = region.box
    out[y0:y1, x0:x1] = region.mask
    return out


@pytest.mark.parametrize("seed", range(6))
def test_flood_fill_matches_a_pixel_by_pixel_fill_on_random_maps(seed, monkeypatch):
    monkeypatch.setattr(tools, "BAND_ROWS", 7)  # several bands, so the band joins are exercised
    rng = np.random.default_rng(seed)
    labels = (rng.random((60, 45)) < 0.45).astype(np.uint8)  # maze-like: U shapes, holes, spirals
    for _ in range(5):
        y, x = int(rng.integers(60)), int(rng.integers(45))
        region = tools.flood_region(labels, x, y)
        np.testing.assert_array_equal(full_mask(region, labels.shape), reference_flood(labels, x, y))


def test_flood_fill_is_4_connected_and_stops_at_diagonals():
    labels = np.array([[1, 0, 0],
                       [0, 1, 0],
                       [0, 0, 1]], np.uint8)
    edit = LabelMapEdit(labels.copy(), 3)
    edit.fill(0, 0, 2)
    assert edit.labels[0, 0] == 2 and edit.labels[1, 1] == 1, "diagonal neighbours are not connected"
    edit.fill(1, 0, 2)  # the zeros above the diagonal, not those below it
    np.testing.assert_array_equal(edit.labels, [[2, 2, 2], [0, 1, 2], [0, 0, 1]])


def test_brush_is_round_with_the_given_size_and_a_drag_paints_a_continuous_band():
    region = tools.brush_region((100, 100), (50.5, 50.5), (50.5, 50.5), 11)
    mask = full_mask(region, (100, 100))
    assert mask[50, 45] and mask[50, 55] and mask[45, 50] and mask[55, 50]
    assert not mask[50, 44] and not mask[50, 56]
    assert not mask[45, 45] and not mask[55, 55], "the corners of the square are not painted"
    edit = LabelMapEdit(np.zeros((40, 200), np.uint8), 4)
    edit.stroke_to((10, 20.5), (190, 20.5), 5, 3)  # along the centres of row 20
    assert edit.labels[20, 10:191].all(), "no gaps along a fast drag"
    assert edit.labels[17:24, 100].tolist() == [0, 3, 3, 3, 3, 3, 0]


def test_a_stroke_of_many_segments_is_one_undo_step():
    edit = LabelMapEdit(np.zeros((50, 50), np.uint8), 5)
    points = [(5, 5), (20, 8), (30, 30), (45, 40)]
    for a, b in zip(points, points[1:]):
        edit.stroke_to(a, b, 3, 2)
    edit.end_stroke()
    assert edit.history.undo_steps() == 1 and edit.dirty
    edit.undo()
    assert not edit.labels.any() and not edit.dirty
    edit.redo()
    assert edit.labels.sum() > 0 and edit.counts[2] == np.count_nonzero(edit.labels)


def test_polygon_fill_and_replace_inside_a_region_and_the_whole_map():
    labels = np.zeros((40, 40), np.uint8)
    labels[:, 20:] = 1
    edit = LabelMapEdit(labels, 4)
    edit.fill_polygon([(10, 10), (30, 10), (30, 30), (10, 30)], 2)  # a square, pixel centres inside
    assert edit.labels[10:30, 10:30].tolist() == [[2] * 20] * 20
    assert edit.labels[9, 15] == 0 and edit.labels[30, 15] == 0
    square = tools.rectangle_region(edit.shape, (0, 0), (24.5, 39.5))   # columns 0..24
    edit.replace(1, 3, square)
    assert (edit.labels[:, 20:25][edit.labels[:, 20:25] != 2] == 3).all()
    assert (edit.labels[:, 30:] == 1).all(), "outside the rectangle nothing is replaced"
    edit.replace(2, IGNORE)
    assert not (edit.labels == 2).any() and (edit.labels[10:30, 10:30] == IGNORE).all()
    np.testing.assert_array_equal(edit.counts, np.bincount(edit.labels.ravel(), minlength=edit.counts.size))
    assert edit.class_counts().sum() == 40 * 40 - 400, "ignore pixels are not a class"


def test_counts_follow_every_edit_undo_and_redo():
    rng = np.random.default_rng(3)
    edit = LabelMapEdit(rng.integers(0, 4, (64, 64)).astype(np.uint8), 4)
    edit.stroke_to((3, 3), (60, 50), 7, 1)
    edit.end_stroke()
    edit.fill(10, 40, IGNORE)
    edit.replace(0, 2)
    edit.undo()
    edit.undo()
    edit.redo()
    np.testing.assert_array_equal(edit.counts, np.bincount(edit.labels.ravel(), minlength=edit.counts.size))


def test_values_outside_the_classes_are_refused():
    edit = LabelMapEdit(np.zeros((8, 8), np.uint8), 3)
    with pytest.raises(ValueError, match="class 7"):
        edit.fill(0, 0, 7)
    assert not edit.dirty


def test_undo_memory_is_bounded_and_the_oldest_steps_are_dropped_past_the_limit():
    # Each step changes a dense 10x10 box: 100 bytes. A 2,500-byte budget keeps 25.
    edit = LabelMapEdit(np.zeros((10, 400), np.uint8), 200, EditHistory(budget_bytes=2500))
    states = [edit.labels.copy()]
    for i in range(40):
        edit.paint(tools.Region((0, 10, 10 * i, 10 * i + 10), np.ones((10, 10), bool)), i + 1)
        states.append(edit.labels.copy())
    assert edit.history.nbytes <= 2500
    assert edit.history.undo_steps() == 25 and edit.history.dropped == 15
    for back in range(1, 26):
        assert edit.undo() is not None
        np.testing.assert_array_equal(edit.labels, states[40 - back])
    assert edit.undo() is None, "the dropped steps cannot be undone"
    np.testing.assert_array_equal(edit.labels, states[15])
    for forward in range(16, 41):
        assert edit.redo() is not None
        np.testing.assert_array_equal(edit.labels, states[forward])
    assert edit.redo() is None


def test_more_than_100_strokes_across_the_map_fit_the_default_budget():
    edit = LabelMapEdit(np.zeros((1200, 1600), np.uint8), 8)
    points = [(80.0 * k, 60.0 * k) for k in range(21)]  # a drag across the map in 20 moves
    for i in range(120):
        for a, b in zip(points, points[1:]):
            edit.stroke_to(a, b, 3 + i % 5, 1 + i % 7)
        edit.end_stroke()
    assert edit.history.undo_steps() == 120, "no step was dropped"
    assert edit.history.nbytes < 120 * 1200 * 1600 / 10, "the strokes are stored sparsely, not as boxes"
    for _ in range(120):
        edit.undo()
    assert not edit.labels.any()


def test_a_new_edit_after_undo_clears_redo_and_saved_state_tracks_dirtiness():
    edit = LabelMapEdit(np.zeros((10, 10), np.uint8), 3)
    edit.fill(0, 0, 1)
    edit.mark_saved()
    assert not edit.dirty
    edit.undo()
    assert edit.dirty, "the saved state had the fill"
    edit.redo()
    assert not edit.dirty
    edit.undo()
    edit.fill(0, 0, 2)
    assert not edit.can_redo() and edit.dirty


def test_saved_files_are_what_segment_writes_and_the_record_says_edited(tmp_path):
    classes = generic_classes(5)
    labels = np.random.default_rng(0).integers(0, 5, (30, 40)).astype(np.uint8)
    labels[:3, :3] = IGNORE
    stem = tmp_path / "out" / "photo"
    stem.parent.mkdir()
    (tmp_path / "out" / "photo.json").write_text(json.dumps({"image": {"path": "photo.jpg"}, "mean_confidence": 0.8,
                                                             "model": {"name": "m"},
                                                             "classes": [{"index": 1, "mean_confidence": 0.7}]}))
    save_edited(stem, labels, classes, "photo.jpg")
    with Image.open(tmp_path / "out" / "photo.png") as im:
        assert im.mode == "P"
        np.testing.assert_array_equal(np.array(im), labels)
    reference = reference_outputs(tmp_path / "reference", labels, classes)
    for kind in ("label", "color"):
        assert reference[kind].read_bytes() == (tmp_path / "out" / f"photo{writers.SUFFIXES[kind]}").read_bytes()
    record = json.loads((tmp_path / "out" / "photo.json").read_text())
    assert record["edited"] is True and is_edited(stem)
    assert record["model"] == {"name": "m"} and record["mean_confidence"] == 0.8, "the run's record is kept"
    assert record["ignored_pixels"] == 9
    assert sum(c["pixels"] for c in record["classes"]) == 30 * 40 - 9
    assert {c["index"] for c in record["classes"]} == set(np.unique(labels[labels != IGNORE]).tolist())
    assert next(c for c in record["classes"] if c["index"] == 1)["mean_confidence"] == 0.7
    with Image.open(tmp_path / "out" / "photo_color.png") as im:
        np.testing.assert_array_equal(np.array(im), writers.color_image(labels, classes))


def test_recovery_round_trip_and_refusals(tmp_path):
    labels = np.random.default_rng(1).integers(0, 4, (20, 30)).astype(np.uint8)
    labels[0, 0] = IGNORE
    source = tmp_path / "a.jpg"
    write_recovery(tmp_path / "rec", source, labels, tmp_path / "out" / "a")
    found = read_recovery(tmp_path / "rec", source, (20, 30), 4)
    assert found is not None and found.stem == str(tmp_path / "out" / "a")
    np.testing.assert_array_equal(found.labels, labels)
    assert read_recovery(tmp_path / "rec", source, (21, 30), 4) is None, "another size is not this photo's"
    assert read_recovery(tmp_path / "rec", source, (20, 30), 3) is None, "class 3 is not in a 3-class model"
    assert read_recovery(tmp_path / "rec", tmp_path / "b.jpg", (20, 30), 4) is None
    remove_recovery(tmp_path / "rec", source)
    assert read_recovery(tmp_path / "rec", source, (20, 30), 4) is None


def test_another_tools_files_beside_the_photo_are_never_replaced_by_a_save(tmp_path):
    """Saving into the photos' folder: labelme keeps its annotation as photo.json there, and
    photo_color.png may be the user's. The label map (which the window asks about) was
    saved, and both of them replaced."""
    classes, labels = generic_classes(3), np.ones((6, 8), np.uint8)
    labelme = json.dumps({"version": "5.5.0", "shapes": [{"label": "cat", "points": [[1, 1], [4, 4]]}],
                          "imagePath": "photo.jpg", "imageHeight": 6, "imageWidth": 8})
    (tmp_path / "photo.json").write_text(labelme)
    with pytest.raises(FileExistsError, match="photo.json exists and was not written by this app"):
        save_edited(tmp_path / "photo", labels, classes, "photo.jpg")
    assert (tmp_path / "photo.json").read_text() == labelme
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.json"]  # nothing half-saved

    (tmp_path / "photo.json").unlink()
    (tmp_path / "photo_color.png").write_bytes(b"the user's own picture")
    with pytest.raises(FileExistsError, match="photo_color.png exists"):
        save_edited(tmp_path / "photo", labels, classes, "photo.jpg")
    assert (tmp_path / "photo_color.png").read_bytes() == b"the user's own picture"

    # the app's own files are replaced, the overlay included, save after save
    (tmp_path / "photo_color.png").unlink()
    save_edited(tmp_path / "photo", labels, classes, "photo.jpg")
    (tmp_path / "photo_overlay.jpg").write_bytes(b"not ours")
    written = save_edited(tmp_path / "photo", labels, classes, "photo.jpg", np.zeros((6, 8, 3), np.uint8))
    assert tmp_path / "photo_overlay.jpg" not in written  # not listed by our record: left alone
    assert (tmp_path / "photo_overlay.jpg").read_bytes() == b"not ours"
    assert sorted(p.name for p in written) == ["photo.json", "photo.png", "photo_color.png"]
