"""The pyramid pooling inspector dock, driven with qtbot (offscreen) on a tiny model."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("pytestqt")

from PySide6.QtCore import QObject, Qt, Signal  # noqa: E402

from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings  # noqa: E402
from app.classes import generic_classes  # noqa: E402
from app.engine.result import Cancelled  # noqa: E402
from app.engine.segmenter import Segmenter  # noqa: E402
from app.gui.inspector import MapOverlay, PPMInspectorDock  # noqa: E402
from app.gui.jobs import run_job, synchronous_submit  # noqa: E402
from app.gui.thread_pool import ThreadPoolSubmitter  # noqa: E402
from app.gui.worker_bridge import worker_submitter  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from app.model import build_pspnet  # noqa: E402
from tests.gui.conftest import RESULT_TIMEOUT_MS, worker_signal  # noqa: E402
from tests.gui.inspector_fixtures import dock, image, result, segmenter  # noqa: E402,F401 - fixtures


def test_result_without_activations_shows_a_clear_state(dock, segmenter, image):
    plain = segmenter.segment(image, ProtocolSettings(base_size=96), capture=False)
    dock.set_result(image, plain, ModelInfo.describe(segmenter.loaded))
    assert dock.stack.currentWidget() is dock.empty
    assert "not captured" in dock.empty.text()
    assert not dock.export_npz_button.isEnabled()
    dock.show_pixel(3, 3)  # ignored, no crash
    assert dock.export_npz("unused.npz") is None


def test_channels_reductions_and_gallery(qtbot, dock, result, image, segmenter):
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    tab = dock.maps_tab
    assert dock.stack.currentWidget() is dock.tabs
    assert tab.source.count() == 5  # features + 4 branches
    capture = result.activations
    tab.reduction.setCurrentIndex(tab.reduction.findData("channel"))
    tab.spin.setValue(3)
    np.testing.assert_array_equal(tab.map_view.values, capture.features[0, 3].float().numpy())
    assert tab.slider.value() == 3
    tab.slider.setValue(5)
    np.testing.assert_array_equal(tab.map_view.values, capture.features[0, 5].float().numpy())

    tab.source.setCurrentIndex(4)  # bin 6
    tab.view_mode.setCurrentIndex(tab.view_mode.findData("pooled"))
    assert tab.map_view.values.shape == (6, 6)
    assert tab.spin.maximum() == capture.pooled[3].shape[1] - 1
    tab.reduction.setCurrentIndex(tab.reduction.findData("mean"))
    np.testing.assert_allclose(tab.map_view.values, capture.pooled[3][0].float().mean(0).numpy(), rtol=1e-5)
    tab.reduction.setCurrentIndex(tab.reduction.findData("pca"))
    assert tab.map_view.values.shape == (6, 6, 3)
    assert "explained variance" in tab.info.text()

    # the gallery lists the branch's most active channels; clicking one shows it
    gallery = tab.gallery
    assert gallery.count() == min(16, capture.pooled[3].shape[1])
    scores = capture.upsampled[3][0].float().mean(dim=(1, 2))
    assert gallery.channel_at(0) == int(torch.argmax(scores))
    row = gallery.count() - 1
    rect = gallery.visualItemRect(gallery.item(row))
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.reduction.currentData() == "channel"
    assert tab.spin.value() == gallery.channel_at(row)
    np.testing.assert_array_equal(tab.map_view.values,
                                  capture.pooled[3][0, gallery.channel_at(row)].float().numpy())


def test_overlay_for_the_main_view(qtbot, dock, result, image, segmenter):
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    tab = dock.maps_tab
    tab.opacity.setValue(40)
    with qtbot.waitSignal(dock.overlayChanged) as blocker:
        tab.send_box.setChecked(True)
    overlay = blocker.args[0]
    assert isinstance(overlay, MapOverlay)
    assert overlay.rgba.shape[2] == 4 and overlay.rgba.dtype == np.uint8
    assert int(overlay.rgba[0, 0, 3]) == round(40 * 2.55)
    x, y, w, h = overlay.rect
    assert w > 0 and h > 0
    with qtbot.waitSignal(dock.overlayChanged) as blocker:
        tab.send_box.setChecked(False)
    assert blocker.args[0] is None


def test_contributions_and_pixel_split(qtbot, dock, result, image, segmenter):
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.tabs.setCurrentWidget(dock.contrib_tab)
    maps = dock.contrib_tab.maps
    assert maps is not None and maps.shares.shape[0] == 5
    fractions = [dock.contrib_tab.part.itemText(n) for n in range(5)]  # each part's mean |share| in the list
    assert fractions[0].startswith("features  (") and all("% of the mean |share|)" in t for t in fractions)
    assert dock.contrib_tab.shown_map() is not None
    x, y = 50, 30
    dock.show_pixel(x, y)
    att = dock.contrib_tab.attribution
    assert att is not None and (att.x, att.y) == (x, y)
    heights = dock.contrib_tab.bars.opts["height"]
    assert len(heights) == 6  # features, 4 bins, bias
    assert float(np.sum(heights)) == pytest.approx(att.logit, abs=1e-4)
    assert f"class {att.class_index}" in dock.contrib_tab.readout.text() or \
        segmenter.loaded.meta.classes.names[att.class_index] in dock.contrib_tab.readout.text()
    dock.show_pixel(10_000, 5)  # outside: ignored
    assert dock.contrib_tab.attribution is att


def test_ablation_runs_through_submit_and_reports(qtbot, dock, result, image, segmenter):
    calls = []
    inner = synchronous_submit(segmenter)

    def counting_submit(fn, on_done, on_error):
        calls.append(threading.get_ident())
        inner(fn, on_done, on_error)

    dock._submit = counting_submit
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.tabs.setCurrentWidget(dock.ablation_tab)
    tab = dock.ablation_tab
    assert len(tab.checks) == 5
    tab.set_parts_off((0,), "zero")  # the features off: only context is left
    qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    assert calls, "the head re-run must go through the submit hook"
    res = tab.result
    assert res is not None and res.parts_off == (0,)
    assert res.ablated.shape == image.shape[:2]
    assert res.changed.any()
    assert "changed class" in tab.status.text()
    assert tab.table.rowCount() == len(res.area_changes()) > 0
    tab.show_mode.setCurrentIndex(tab.show_mode.findData("changed"))
    shown = tab.map_view.values
    assert shown.shape == image.shape[:2] + (4,)
    np.testing.assert_array_equal(shown[..., 3] > 0, res.changed)

    tab.set_parts_off((1,), "mean")  # bin 1 is already constant: nothing changes
    qtbot.mouseClick(tab.apply, Qt.MouseButton.LeftButton)
    assert tab.result.changed_fraction == 0.0
    assert "0 pixels" in tab.status.text()


def test_zero_weight_branch_ablation_changes_nothing_in_the_dock(qtbot, dock, result, image, segmenter):
    model = segmenter.loaded.model
    with torch.no_grad():
        model.head.conv.weight[:, model.head_input_slices()[3]] = 0
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.apply_ablation((3,), "zero")
    assert dock.ablation_tab.result.changed_fraction == 0.0


def test_export_png_and_npz(qtbot, dock, result, image, segmenter, tmp_path):
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    png = dock.export_png(tmp_path / "map.png")
    with Image.open(png) as img:
        assert img.mode == "RGB" and max(img.size) >= 512
    npz = dock.export_npz(tmp_path / "acts.npz")
    with np.load(npz) as data:
        np.testing.assert_array_equal(data["features"], result.activations.features[0].numpy())
        assert tuple(data["image_size"]) == image.shape[:2]
    dock.tabs.setCurrentWidget(dock.contrib_tab)
    assert dock.export_png(tmp_path / "contrib.png") is not None
    dock.tabs.setCurrentWidget(dock.ablation_tab)
    assert dock.export_png(tmp_path / "none.png") is None  # no ablation yet: nothing to save
    dock.apply_ablation((4,), "zero")
    with Image.open(dock.export_png(tmp_path / "ablated.png")) as img:
        assert img.size[0] >= image.shape[1]
    assert dock.export_png(tmp_path / "missing" / "x.png") is None
    assert "Could not save" in dock.status.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ablated.png", "acts.npz", "contrib.png", "map.png"]


def test_stale_job_results_are_dropped(qtbot, segmenter, result, image):
    held = []
    dock = PPMInspectorDock(submit=lambda fn, done, err: held.append((fn, done)),
                            background=synchronous_submit())
    qtbot.addWidget(dock)
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.show_pixel(5, 5)
    dock.show_pixel(8, 5)
    assert len(held) == 2
    (first, first_done), (second, second_done) = held
    answer = run_job(second, segmenter)  # done just before the user left: its answer is on its way
    dock.clear()
    second_done(answer)
    assert dock.contrib_tab.attribution is None
    assert dock.stack.currentWidget() is dock.empty
    stopped = run_job(first, segmenter)  # not yet run: leaving the image (and the newer click) cancelled it
    assert isinstance(stopped, Cancelled)
    first_done(stopped)
    assert dock.contrib_tab.attribution is None


def test_failures_are_reported_not_raised(qtbot, segmenter, result, image):
    def failing(fn, done, err):
        err("CUDA out of memory")

    dock = PPMInspectorDock(submit=failing, background=synchronous_submit())
    qtbot.addWidget(dock)
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    with qtbot.waitSignal(dock.message) as blocker:
        dock.apply_ablation((2,), "zero")
    assert "out of memory" in blocker.args[0]
    assert "failed" in dock.ablation_tab.status.text()
    assert dock.ablation_tab.apply.isEnabled()


class _FakeWorker(QObject):
    """The viewer worker's job API: submit_job(fn) -> id; jobFinished / jobFailed."""

    jobFinished = Signal(int, object)
    jobFailed = Signal(int, str)

    def __init__(self, context):
        super().__init__()
        self.context, self.next_id = context, 0

    def submit_job(self, fn):
        self.next_id += 1
        try:
            value = fn(self.context)
        except Exception as exc:  # noqa: BLE001
            self.jobFailed.emit(self.next_id, str(exc))
        else:
            self.jobFinished.emit(self.next_id, value)
        return self.next_id


def test_worker_submitter_routes_answers_by_id(qtbot, segmenter):
    worker = _FakeWorker(segmenter)
    submit = worker_submitter(worker)
    got, errors = [], []
    submit(lambda seg: seg.num_classes, got.append, errors.append)
    submit(lambda seg: 1 / 0, got.append, errors.append)
    assert got == [5] and errors and "division" in errors[0]


def test_thread_pool_submitter_answers_on_the_gui_thread(qtbot):
    submitter = ThreadPoolSubmitter(context="ctx")
    gui_thread = threading.get_ident()
    seen = {}

    def job(ctx):
        seen["job_thread"] = threading.get_ident()
        return ctx.upper()

    submitter(job, lambda v: seen.update(value=v, done_thread=threading.get_ident()), seen.update)
    qtbot.waitUntil(lambda: "value" in seen, timeout=RESULT_TIMEOUT_MS)
    assert seen["value"] == "CTX"
    assert seen["job_thread"] != gui_thread and seen["done_thread"] == gui_thread
    assert submitter.wait(RESULT_TIMEOUT_MS)


def test_dock_with_the_real_inference_worker(qtbot, segmenter, result, image):
    """The wiring the main window uses: model jobs run in the worker's thread."""
    from app.gui.worker import InferenceWorker

    worker = InferenceWorker("cpu")
    with worker_signal(qtbot, worker.modelReady) as ready:
        worker.start()
        worker.set_model(segmenter.loaded)
    try:
        dock = PPMInspectorDock(submit=worker_submitter(worker), background=synchronous_submit())
        qtbot.addWidget(dock)
        dock.set_result(image, result, ready.args[0])  # the worker's ModelInfo, as the window gives it
        dock.apply_ablation((0,), "zero")
        assert dock.ablation_tab.result is None  # not on the GUI thread: the answer comes later
        qtbot.waitUntil(lambda: dock.ablation_tab.result is not None, timeout=RESULT_TIMEOUT_MS)
        assert dock.ablation_tab.result.changed.any()
        dock.show_pixel(20, 20)
        qtbot.waitUntil(lambda: dock.contrib_tab.attribution is not None, timeout=RESULT_TIMEOUT_MS)
        att = dock.contrib_tab.attribution
        assert att.shares.sum() + att.bias == pytest.approx(att.logit, abs=1e-4)
    finally:
        assert worker.shutdown(2000)


def test_jobs_use_the_contexts_network_only_when_it_made_the_capture(qtbot, segmenter, result, image, tiny_config):
    """The dock holds no network: a job runs on its context's, and refuses another model's."""
    assert not hasattr(ModelInfo.describe(segmenter.loaded), "model")
    torch.manual_seed(1)
    other = Segmenter(LoadedModel(build_pspnet(tiny_config), ModelMeta("native", tiny_config,
                                                                      generic_classes(tiny_config.num_classes))),
                      device="cpu")
    errors: list[str] = []
    dock = PPMInspectorDock(submit=synchronous_submit(other), background=synchronous_submit())
    qtbot.addWidget(dock)
    dock.message.connect(errors.append)
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.show_pixel(20, 20)
    assert dock.contrib_tab.attribution is None
    assert errors and "the model changed since this image was segmented" in errors[-1]
