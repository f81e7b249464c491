"""Which labels the window shows after Label Folder: the saved ones or the model's prediction,
one choice (Review > Show Labels from Folder) for batch-written labels and those found beside
the folder, never one shown as the other, said in the status bar, never losing unsaved edits;
and the Label Folder dialog's protocols (Model > Protocol's)."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from app.checkpoints.meta import ProtocolSettings
from app.gui.actions import PROTOCOL_TITLES
from app.gui.batch import BatchOptions
from app.gui.batch.dialog import BatchDialog
from app.gui.batch.saved_labels import SAVED_DEVICE
from app.gui.review.label_source import LABELS_DEVICE
from tests.gui.batch_fixtures import make_folder, start_and_wait
from tests.gui.conftest import RESULT_TIMEOUT_MS


def show(qtbot, window, path):
    """Show ``path`` and return the CachedView that reached the screen."""
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as shown:
        window.folder.select(path)
        window.viewer.show(path)
    return shown.args[0]


def toggle(qtbot, window):
    """Review > Show Labels from Folder, as a click on the menu entry; the result it leads to."""
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as shown:
        window.review.show_labels.trigger()
    return shown.args[0]


def test_the_toggle_switches_batch_saved_labels_and_the_prediction_both_ways(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 2)
    out = tmp_path / "labels"
    report = start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label", "json")))
    assert report.count("ok") == 2
    first = folder / "img00.png"
    saved = np.array(Image.open(out / "img00.png"))
    status = window.review.shown_label

    item = show(qtbot, window, first)
    assert item.result.device == SAVED_DEVICE and np.array_equal(item.result.labels, saved)
    assert status.text() == "Showing: saved labels"

    predicted = toggle(qtbot, window)  # off: the model's prediction, not the saved file
    assert not window.review.show_labels.isChecked()
    assert predicted.result.device != SAVED_DEVICE and np.isfinite(predicted.result.confidence).all()
    assert window.viewer.shown is predicted
    assert status.text() == "Showing: model prediction (saved labels off)"
    assert "Show Labels from Folder is off" in status.toolTip()
    dock = window.review.threshold_dock  # the threshold acts on the prediction
    dock.enabled.setChecked(True)
    dock.value.setValue(round(float(np.median(predicted.result.confidence)) * 100))
    dock.apply_now()
    assert "% of this image is below the threshold" in dock.summary.text()
    assert show(qtbot, window, folder / "img01.png").result.device != SAVED_DEVICE  # every image

    back = toggle(qtbot, window)  # on again: the saved labels
    assert window.review.show_labels.isChecked()
    assert back.result.device == SAVED_DEVICE and window.viewer.shown_path == folder / "img01.png"
    assert np.array_equal(back.result.labels, np.array(Image.open(out / "img01.png")))
    assert status.text() == "Showing: saved labels"
    assert "carry no confidence" in dock.summary.text()


def labels_beside(tmp_path):
    """photos/ (two scenes) with labels/ beside it: label maps the window finds by itself."""
    images = make_folder(tmp_path, 2)
    labels = tmp_path / "labels"
    labels.mkdir()
    for i, photo in enumerate(sorted(images.iterdir())):
        saved = np.full((96, 128), i + 1, np.uint8)
        saved[:, :40] = 0
        Image.fromarray(saved, mode="L").save(labels / photo.name)
    return images, labels


def is_prediction(item) -> bool:
    return item.result.device not in (LABELS_DEVICE, SAVED_DEVICE) and bool(np.isfinite(item.result.confidence).all())


def test_labels_from_the_folder_turned_off_show_the_prediction_and_on_the_saved_map(qtbot, window, tmp_path):
    images, labels = labels_beside(tmp_path)
    first = images / "img00.png"
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as opened:
        window.viewer.open_path(images)
    saved = opened.args[0]
    assert saved.result.device == LABELS_DEVICE
    assert np.array_equal(saved.result.labels, np.array(Image.open(labels / "img00.png")))

    predicted = toggle(qtbot, window)  # off: the model's prediction, not the saved map kept for it
    assert is_prediction(predicted) and window.viewer.shown_path == first
    assert window.review.shown_label.text() == "Showing: model prediction (saved labels off)"
    back = toggle(qtbot, window)
    assert back.result.device == LABELS_DEVICE and np.array_equal(back.result.labels, saved.result.labels)
    assert window.review.shown_label.text() == "Showing: saved labels"
    again = toggle(qtbot, window)
    assert again is predicted, "the prediction was kept: the model did not run again"


def test_labels_from_the_folder_turned_on_show_the_saved_map_not_the_prediction(qtbot, window, tmp_path):
    images, labels = labels_beside(tmp_path)
    window.review.show_labels.trigger()  # off before anything is shown
    assert not window.review.show_labels.isChecked()
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as opened:
        window.viewer.open_path(images)
    predicted = opened.args[0]
    assert is_prediction(predicted)
    second = images / "img01.png"
    assert is_prediction(show(qtbot, window, second))
    show(qtbot, window, images / "img00.png")

    saved = toggle(qtbot, window)  # on: the saved map, not the prediction kept for it
    assert saved.result.device == LABELS_DEVICE
    assert np.array_equal(saved.result.labels, np.array(Image.open(labels / "img00.png")))
    item = show(qtbot, window, second)
    assert item.result.device == LABELS_DEVICE
    assert np.array_equal(item.result.labels, np.array(Image.open(labels / "img01.png")))
    assert toggle(qtbot, window).result.device != LABELS_DEVICE  # and off again: its prediction


def test_a_toggle_asks_about_unsaved_edits_and_cancel_keeps_everything(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 1)
    start_and_wait(qtbot, window, BatchOptions(folder, tmp_path / "labels", formats=("label",)))
    before = show(qtbot, window, folder / "img00.png")
    asked: list[bool] = []
    window.viewer.leave_guard = lambda: asked.append(True) or False  # the editor's question, Cancel
    window.review.show_labels.trigger()
    qtbot.wait(50)
    assert asked and window.review.show_labels.isChecked() and window.viewer.shown is before
    window.viewer.leave_guard = lambda: asked.append(True) or True  # Save or Discard
    after = toggle(qtbot, window)
    assert len(asked) >= 2 and not window.review.show_labels.isChecked()
    assert after.result.device != SAVED_DEVICE


def test_a_prediction_seen_before_the_run_gives_way_to_the_saved_labels(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 2)
    window.viewer.open_path(folder)
    first = folder / "img00.png"
    assert show(qtbot, window, first).result.device != SAVED_DEVICE
    out = tmp_path / "labels"
    start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label",)))
    show(qtbot, window, folder / "img01.png")
    item = show(qtbot, window, first)
    assert item.result.device == SAVED_DEVICE
    assert np.array_equal(item.result.labels, np.array(Image.open(out / "img00.png")))


def test_the_dialog_offers_model_protocols_and_disables_those_the_model_lacks(qtbot, window, tmp_path):
    offered = window.batch.offered_protocols()
    assert offered == ["fast", "official"]  # the tiny model has no ms / slide of its own
    dialog = BatchDialog(BatchOptions(tmp_path, tmp_path / "out", protocol="slide"), ["auto"], window,
                         offered=offered)
    qtbot.addWidget(dialog)
    combo = dialog.protocol_combo
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names == list(PROTOCOL_TITLES)
    enabled = {combo.itemData(i): combo.model().item(i).isEnabled() for i in range(combo.count())}
    assert enabled == {"fast": True, "official": True, "ms": False, "slide": False}
    assert combo.currentData() == "fast"  # a protocol the model lacks is not preselected


def test_every_protocol_runs_in_a_batch_when_the_model_offers_it(qtbot, window, tmp_path):
    meta = window.viewer.model.meta
    meta.protocols["ms"] = ProtocolSettings("ms", base_size=64, crop_size=48, scales=(0.75, 1.0), flip=True,
                                            style="semseg")
    meta.protocols["slide"] = ProtocolSettings("slide", base_size=64, max_long=96, crop_size=48, stride=32,
                                               style="mmseg")
    assert window.batch.offered_protocols() == list(PROTOCOL_TITLES)
    folder = make_folder(tmp_path, 1)
    for name in PROTOCOL_TITLES:
        out = tmp_path / f"out_{name}"
        report = start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label", "json"), protocol=name))
        assert report.count("ok") == 1, (name, report.records)
        record = json.loads((out / "img00.json").read_text())
        assert record["protocol"] == meta.protocol(name).to_dict()  # run with that protocol's settings
        labels = np.array(Image.open(out / "img00.png"))
        assert labels.shape == (96, 128)


def test_the_inspector_shows_the_prediction_and_the_status_bar_says_so(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 1)
    start_and_wait(qtbot, window, BatchOptions(folder, tmp_path / "labels", formats=("label",)))
    first = folder / "img00.png"
    assert show(qtbot, window, first).result.device == SAVED_DEVICE
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as shown:
        window.inspector.dock.show()  # it needs the model's activations: the model runs
    assert shown.args[0].result.device != SAVED_DEVICE
    assert window.review.shown_label.text() == "Showing: model prediction (for the inspector)"
    window.inspector.dock.hide()
    assert show(qtbot, window, first).result.device == SAVED_DEVICE  # shown again: the saved labels
    assert window.review.shown_label.text() == "Showing: saved labels"


def test_labels_read_before_a_run_give_way_to_what_the_run_wrote(qtbot, window, tmp_path, monkeypatch):
    from dataclasses import replace

    from PySide6.QtWidgets import QMessageBox

    from app.viewing.state import SAVED

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))

    folder, out = make_folder(tmp_path, 1), tmp_path / "labels"
    start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label",)))
    first = folder / "img00.png"
    before = show(qtbot, window, first)
    assert before.result.device == SAVED_DEVICE
    # what the viewer read before the next run (made different, so the two can be told apart)
    stale = replace(before, result=replace(before.result, labels=np.full_like(before.result.labels, 255)))
    window.viewer.cache.put(window.viewer.state.key(first, SAVED), stale)
    report = start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label",), overwrite=True))
    assert report.count("ok") == 1
    after = show(qtbot, window, first)
    assert after is not stale
    np.testing.assert_array_equal(after.result.labels, np.array(Image.open(out / "img00.png")))
