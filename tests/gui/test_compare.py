"""Model > Compare With Model...: model B segments each image shown, in the worker, and the
window shows where A and B disagree and the agreement figures (app/gui/compare)."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from app.labels.compare import compare_label_maps
from tests.engine_fixtures import varied_loaded
from tests.gui.conftest import RESULT_TIMEOUT_MS, open_and_wait
from tests.helpers import save_tiny_weights


def start_comparing(qtbot, win, path):
    link = win.compare
    link.start(path)
    qtbot.waitUntil(lambda: link.shown is not None, timeout=RESULT_TIMEOUT_MS)
    return link


@pytest.fixture
def weights_b(tmp_path):
    return save_tiny_weights(tmp_path / "b")


@pytest.fixture
def compared(qtbot, varied, weights_b):
    window, item = varied
    return window, item, start_comparing(qtbot, window, weights_b)


def test_both_models_segment_the_image_and_the_figures_are_shown(qtbot, compared, weights_b):
    window, item, link = compared
    outcome = link.shown.outcome
    # B's labels are what the engine gives for B's checkpoint with A's protocol settings
    from app.checkpoints import load_checkpoint
    from app.engine.segmenter import Segmenter

    expected_b = Segmenter(load_checkpoint(weights_b), device="cpu").segment(item.image, item.result.protocol).labels
    assert np.array_equal(outcome.labels_b, expected_b)
    labels_a = item.result.labels
    assert not np.array_equal(labels_a, outcome.labels_b)  # two different models: something to show
    share = float(np.mean(labels_a == outcome.labels_b))
    assert 0 < share < 1
    assert f"Pixel agreement: {100 * share:.1f} %" in link.dock.summary.text()
    agreement = compare_label_maps(labels_a, outcome.labels_b, window.viewer.classes().names,
                                   window.viewer.classes().names)
    assert np.array_equal(outcome.agreement.confusion, agreement.confusion)
    # the table: one row per class either map shows, named as the legend names them
    rows = agreement.rows()
    table = link.dock.table
    assert table.rowCount() == len(rows) > 1
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == [row.name for row in rows]
    assert table.item(0, 3).text() == f"{rows[0].iou:.3f}"
    assert "Most often changed" in link.dock.confusions.text()
    # the disagreement layer over the photo: exactly the pixels where A and B differ
    assert link.dock.isVisible() and link.overlay.isVisible()
    assert np.array_equal(link.overlay.image.astype(bool), labels_a != outcome.labels_b)
    window.compare.differences_action.trigger()  # View > Model Disagreement (D) off
    assert not link.overlay.isVisible() and not link.dock.show_differences.isChecked()
    # View > Model B's Labels (Shift+D): B's labels drawn instead of A's, at the slider's opacity
    assert not link.b_fill.isVisible()
    link.b_labels_action.trigger()
    assert link.dock.show_b_labels.isChecked() and link.b_fill.isVisible() and link.b_photo.isVisible()
    assert np.array_equal(link.b_fill.image, outcome.labels_b) and np.array_equal(link.b_photo.image, item.image)
    window.actions_.opacity_slider.setValue(80)
    assert link.b_fill.opacity() == pytest.approx(0.8)
    link.dock.show_b_labels.setChecked(False)
    assert not link.b_labels_action.isChecked() and not link.b_fill.isVisible()


def test_going_back_uses_the_kept_comparison(qtbot, compared, image_folder):
    window, _item, link = compared
    asked = []
    original = window.worker.submit_compare
    window.worker.submit_compare = lambda request: asked.append(request) or original(request)
    open_and_wait(qtbot, window, image_folder / "scene1.png")
    qtbot.waitUntil(lambda: link.shown is not None, timeout=RESULT_TIMEOUT_MS)
    assert len(asked) == 1 and link.shown.outcome.key == asked[0].key
    window.viewer.show(image_folder / "scene2.png")  # both results are kept: no model runs
    assert link.shown is not None and len(asked) == 1
    assert link.shown.labels_a() is window.viewer.shown.result.labels


def test_a_bad_checkpoint_gives_a_message_and_changes_nothing(qtbot, compared, tmp_path):
    window, _item, link = compared
    before = (link.model_b, window.viewer.model, link.shown)
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    link.start(bad)
    qtbot.waitUntil(lambda: not link.loading, timeout=RESULT_TIMEOUT_MS)
    assert window.messages.isVisible() and window.messages.level == "error"
    assert "broken.safetensors" in window.messages.text.text()
    assert "Still comparing with" in window.messages.text.text()
    assert (link.model_b, window.viewer.model, link.shown) == before
    assert link.dock.isVisible() and link.overlay.isVisible()


def test_a_bad_checkpoint_before_any_comparison_leaves_it_off(qtbot, varied, tmp_path):
    window, _item = varied
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"\x80\x04 pickled code is never loaded")
    window.compare.start(bad)
    qtbot.waitUntil(lambda: not window.compare.loading, timeout=RESULT_TIMEOUT_MS)
    assert window.messages.level == "error" and not window.compare.comparing()
    assert not window.compare.dock.isVisible() and not window.compare.stop_action.isEnabled()


def test_stopping_frees_model_b(qtbot, varied):
    window, _item = varied
    link = window.compare
    model_b = varied_loaded(num_classes=6)  # one class more than A: "class 5" only B has
    alive = weakref.ref(model_b.model)
    window.worker.set_compare(model_b, "in memory")
    del model_b
    qtbot.waitUntil(lambda: link.shown is not None, timeout=RESULT_TIMEOUT_MS)
    names = [row.name for row in link.shown.outcome.agreement.rows()]
    assert link.shown.outcome.agreement.missing("a") == ["class 5"]
    assert "Only B has: class 5" in link.dock.summary.text()
    assert all(name.startswith("class") for name in names)
    link.stop_action.trigger()
    qtbot.waitUntil(lambda: not link.comparing(), timeout=RESULT_TIMEOUT_MS)
    assert not link.dock.isVisible() and not link.overlay.isVisible() and len(link.cache) == 0
    assert not link.b_labels_action.isEnabled() and link.b_fill.image is None
    assert window.worker._compare.loaded is None and window.worker._compare.segmenter is None
    gc.collect()
    assert alive() is None  # nothing holds model B any more
