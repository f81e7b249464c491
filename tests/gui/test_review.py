"""Review workflow in the window: labels found beside a folder, review keys, filter and counts,
lowest-confidence-first order, and the confidence threshold on the drawn overlay and the array."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.classes import ClassInfo
from app.engine.writers import cvat_labelmap, label_image
from app.gui.review.label_source import LABELS_DEVICE
from app.labels.review import REVIEW_FILE, ReviewState
from app.labels.threshold import apply_confidence_threshold
from tests.gui.conftest import RESULT_TIMEOUT_MS, scene

CLASSES = ClassInfo(("sky", "road", "car"), ((70, 130, 180), (128, 64, 128), (0, 0, 142)),
                    title="from labelmap.txt")


def label_values(seed: int, height: int = 96, width: int = 128) -> np.ndarray:
    labels = np.zeros((height, width), np.uint8)
    labels[height // 2:, :] = 1
    labels[height // 2:, seed * 20:seed * 20 + 30] = 2
    labels[:4, :4] = 255  # ignore
    return labels


@pytest.fixture
def labelled(tmp_path):
    """images/ with three scenes, labels/ with their palette label maps, labelmap.txt and records."""
    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    for i in range(3):
        Image.fromarray(scene(i)).save(images / f"scene{i}.png")
        label_image(label_values(i), CLASSES).save(labels / f"scene{i}.png")
        (labels / f"scene{i}.json").write_text(json.dumps({"mean_confidence": [0.9, 0.4, 0.7][i]}))
    (labels / "labelmap.txt").write_text(cvat_labelmap(CLASSES))
    return images, labels


def record_messages(monkeypatch, window) -> list[str]:
    said: list[str] = []
    original = window.messages.show_message

    def recording(text, *args, **kwargs):
        said.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(window.messages, "show_message", recording)
    return said


@pytest.fixture
def bare_window(qtbot):
    """A window whose worker never starts: no model can run."""
    from app.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_folder_with_labels_beside_shows_them_without_any_model(qtbot, bare_window, labelled):
    images, _ = labelled
    win = bare_window
    ids_before = win.worker.next_id()
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as shown:
        assert win.viewer.open_path(images)
    item = shown.args[0]
    assert item.result.device == LABELS_DEVICE and item.classes.names == CLASSES.names
    np.testing.assert_array_equal(win.view.main_pane.fill.image, label_values(0))
    assert win.worker.next_id() == ids_before + 1, "no segmentation was requested"
    assert [row[1] for row in win.legend.rows()] == ["sky", "road", "car"]  # by area, from labelmap.txt
    assert win.folder.status(images / "scene1.png").value == "labels"
    assert win.viewer.readout_at(0, 0) == ("ignore", None) and win.viewer.readout_at(100, 90)[0] == "road"
    assert "3 label maps" in win.statusBar().currentMessage()
    # no model ran: the read-out times nothing and names no precision
    assert win.readout.timing.text() == "" and win.readout.device.text() == f"device: {LABELS_DEVICE}"


def test_explicit_open_labels_and_mismatches_are_reported(qtbot, window, labelled, tmp_path, monkeypatch):
    images, labels = labelled
    said = record_messages(monkeypatch, window)
    other = tmp_path / "SegmentationClass_other"
    other.mkdir()
    Image.fromarray(np.full((96, 128), 7, np.uint8), mode="L").save(other / "scene0.png")  # class 7 of 5
    Image.fromarray(np.zeros((10, 10), np.uint8), mode="L").save(other / "scene1.png")     # wrong size
    (labels / "labelmap.txt").unlink()
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.open_path(images)  # labels/ without labelmap.txt: the model's classes
    assert window.viewer.shown.result.device == LABELS_DEVICE
    assert window.viewer.shown.classes.names == window.viewer.model.meta.classes.names
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        pairing = window.review.open_labels_folder(other)  # scene0 is not usable: the model runs
    assert pairing.label_dir == other.resolve()
    assert window.viewer.shown.result.device.startswith("cpu")
    assert any("values 7 but the class list has 5 classes" in s for s in said)
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.show(images / "scene1.png")
    assert any("is 10x10 but its image is 128x96" in s for s in said)
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.review.open_labels_folder(labels)
    (labels / "scene2.json").write_text(json.dumps({"classes": [{"index": 1, "name": "road"}]}))
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.show(images / "scene2.png")  # its record names other classes than the model's
    assert window.viewer.shown.result.device.startswith("cpu")
    assert any("scene2.json says class 1 is 'road'" in s for s in said)


def test_review_keys_filter_and_counts(qtbot, bare_window, labelled):
    images, labels = labelled
    win = bare_window
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        win.viewer.open_path(images)
    folder = win.folder
    assert folder.counts.text() == "Reviewed 0 of 3: 0 accepted, 0 needing work"
    QTest.keyClick(win, Qt.Key.Key_A)  # accept scene0, go to the next unreviewed
    assert win.viewer.current == images / "scene1.png"
    QTest.keyClick(win, Qt.Key.Key_N)  # scene1 needs work, stays
    assert win.viewer.current == images / "scene1.png"
    assert folder.review(images / "scene0.png") == ReviewState.ACCEPTED
    assert folder.review(images / "scene1.png") == ReviewState.NEEDS_WORK
    assert folder.counts.text() == "Reviewed 2 of 3: 1 accepted, 1 needing work"
    assert [folder.review_filter.itemText(i) for i in range(4)] == [
        "All images (3)", "Unreviewed (1)", "Accepted (1)", "Needs work (1)"]
    saved = json.loads((labels / REVIEW_FILE).read_text())["images"]
    assert {k: v["state"] for k, v in saved.items()} == {"scene0.png": "accepted", "scene1.png": "needs_work"}
    QTest.keyClick(win, Qt.Key.Key_U)
    assert win.viewer.current == images / "scene2.png"
    QTest.keyClick(win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # the last one
    assert win.viewer.current == images / "scene2.png" and "Every image" in win.statusBar().currentMessage()
    folder.set_filter(ReviewState.ACCEPTED)
    assert folder.visible_paths() == [images / "scene0.png", images / "scene2.png"]
    folder.set_filter(ReviewState.NEEDS_WORK)
    assert folder.visible_paths() == [images / "scene1.png"]
    folder.set_filter(None)
    win.review.mark_unreviewed()  # scene2 back to unreviewed
    win.viewer.show(images / "scene0.png")
    QTest.keyClick(win, Qt.Key.Key_U, Qt.KeyboardModifier.ShiftModifier)  # previous unreviewed wraps
    assert win.viewer.current == images / "scene2.png"


def test_reopening_reads_the_marks_and_a_foreign_review_file_is_left_alone(qtbot, bare_window, labelled,
                                                                           monkeypatch):
    images, labels = labelled
    (labels / REVIEW_FILE).write_text('{"reviewed_by": "another tool"}')
    said = record_messages(monkeypatch, bare_window)
    with qtbot.waitSignal(bare_window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        bare_window.viewer.open_path(images)
    QTest.keyClick(bare_window, Qt.Key.Key_A)
    assert any("not a PSPNet Studio review file" in s for s in said)
    assert (labels / REVIEW_FILE).read_text() == '{"reviewed_by": "another tool"}'
    assert bare_window.folder.review(images / "scene0.png") == ReviewState.ACCEPTED  # in memory


def test_sort_by_lowest_mean_confidence_and_navigation_follow_it(qtbot, bare_window, labelled):
    images, _ = labelled
    win = bare_window
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        win.viewer.open_path(images)
    assert win.folder.sort.isEnabled()
    win.review.sort_action.trigger()
    assert win.folder.paths() == [images / "scene1.png", images / "scene2.png", images / "scene0.png"]
    assert win.folder.tree.topLevelItem(0).text(3) == "40.0%"
    win.viewer.show(images / "scene1.png")
    QTest.keyClick(win, Qt.Key.Key_Right)
    assert win.viewer.current == images / "scene2.png"
    win.review.sort_action.trigger()
    assert win.folder.paths() == [images / f"scene{i}.png" for i in range(3)]


@pytest.fixture
def tiny_loaded(tiny_loaded):
    """The tiny model with varied confidences (random BN statistics), for the threshold."""
    from tests.helpers import lively

    lively(tiny_loaded.model)
    return tiny_loaded


def test_threshold_hatches_uncertain_pixels_and_matches_the_saved_array(qtbot, window, image_folder):
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as shown:
        window.viewer.open_path(image_folder / "scene0.png")
    result = shown.args[0].result
    t = float(np.median(result.confidence))  # about half the pixels are below
    dock = window.review.threshold_dock
    dock.enabled.setChecked(True)
    dock.value.setValue(round(t * 100))
    dock.apply_now()
    t = dock.settings().global_t
    below = result.confidence < t
    assert 0 < below.sum() < below.size
    count = len(window.viewer.model.meta.classes)
    fill = window.view.main_pane.fill
    drawn = fill.image
    assert set(np.unique(drawn[below])) <= {count, count + 1} and (drawn[below] == count).any()
    np.testing.assert_array_equal(drawn[~below], result.labels[~below])
    assert fill.lut.shape == (count + 2, 4) and fill.lut[count + 1, 3] == 0 and fill.lut[count, 3] > 0
    saved = apply_confidence_threshold(result.labels, result.confidence, t, {})
    np.testing.assert_array_equal(saved == 255, below)
    assert f"{100 * below.mean():.1f}% of this image" in dock.summary.text()
    cls = int(result.labels[~below][0])  # a class of its own threshold: 0 keeps all its pixels
    dock.classes.itemWidget(dock.classes.topLevelItem(cls), 1).setValue(0)
    dock.apply_now()
    kept = below & (result.labels == cls)
    assert kept.any() and (fill.image[kept] == cls).all()
    dock.enabled.setChecked(False)
    dock.apply_now()
    np.testing.assert_array_equal(fill.image, result.labels)
    assert fill.lut.shape == (count + 1, 4)


def test_accept_asks_about_unsaved_edits_first_and_cancel_marks_nothing(qtbot, bare_window, labelled):
    images, _ = labelled
    win = bare_window
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        win.viewer.open_path(images)
    asked: list[bool] = []
    win.viewer.leave_guard = lambda: asked.append(True) or False  # the editor's prompt, cancelled
    QTest.keyClick(win, Qt.Key.Key_A)
    assert asked and win.viewer.current == images / "scene0.png"
    assert win.folder.review(images / "scene0.png") == ReviewState.UNREVIEWED
    win.viewer.leave_guard = lambda: True  # saved or discarded
    QTest.keyClick(win, Qt.Key.Key_A)
    assert win.folder.review(images / "scene0.png") == ReviewState.ACCEPTED
    assert win.viewer.current == images / "scene1.png"


def test_label_stem_for_the_editor(qtbot, bare_window, labelled, tmp_path):
    images, labels = labelled
    with qtbot.waitSignal(bare_window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        bare_window.viewer.open_path(images)
    assert bare_window.review.label_stem(images / "scene1.png") == labels / "scene1"
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("a.jpg", "a.png"):
        Image.fromarray(scene(0)).save(plain / name)
    bare_window.viewer.open_path(plain)  # no labels: the default output folder, batch names
    assert bare_window.review.label_stem(plain / "a.png") == tmp_path / "plain_labels" / "a_png"


def test_the_shipped_samples_show_the_model_not_their_ground_truth(qtbot, window, monkeypatch):
    from app.gui.launch import first_sample

    sample = first_sample()
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as shown:
        window.viewer.open_path(sample)
    assert shown.args[0].result.device.startswith("cpu") and window.review.labels.pairing is None
    said = record_messages(monkeypatch, window)
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        pairing = window.review.open_labels_folder(sample.parent.parent / "labels")  # asked for
    assert pairing.label_for(sample) is not None
    # the scenes' 12 classes do not fit the tiny 5-class model: said, and the model's result stays
    assert any("but the class list has 5 classes" in s for s in said)
