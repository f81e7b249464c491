"""A receptive field asked for while another is computed cancels it: the first job stops inside
its backward pass (its answer is a ``Cancelled``) and the second one's field is shown."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("pytestqt")

from app.engine.ppm_region import box_region  # noqa: E402
from app.engine.result import Cancelled  # noqa: E402
from app.gui.inspector import PPMInspectorDock, synchronous_submit  # noqa: E402
from app.gui.thread_pool import ThreadPoolSubmitter  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.inspector_fixtures import image, recording, result, segmenter  # noqa: E402,F401 - fixtures


def test_a_second_region_cancels_the_running_field(qtbot, monkeypatch, segmenter, image, result):  # noqa: F811
    pool = ThreadPoolSubmitter(context=segmenter)  # a thread of its own, as the worker's
    answers: list[object] = []  # each job's value, before the dock drops a Cancelled
    dock = PPMInspectorDock(submit=recording(pool, answers), background=synchronous_submit())
    qtbot.addWidget(dock)
    dock.show()
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    dock.tabs.setCurrentWidget(dock.erf_tab)
    dock.erf_tab.set_selection_mode("box")
    shown: list[object] = []
    set_field = dock.erf_tab.set_field
    monkeypatch.setattr(dock.erf_tab, "set_field", lambda field: (shown.append(field), set_field(field)))

    # the first job's first backward waits at layer4's output until the second request is made
    model = segmenter.loaded.model
    in_backward, go_on = threading.Event(), threading.Event()
    reached_stem: list[int] = []

    def hold_at_layer4(_module, _inputs, output):
        def hold(_grad):
            if not in_backward.is_set():
                in_backward.set()
                go_on.wait(20)
        output.register_hook(hold)

    def count_at_stem(_module, _inputs, output):
        output.register_hook(lambda _grad: reached_stem.append(1))

    handles = [model.backbone.layer4.register_forward_hook(hold_at_layer4),
               model.backbone.stem.register_forward_hook(count_at_stem)]
    try:
        dock.select_field_box(5, 5, 30, 25)
        assert in_backward.wait(20)  # job 1 is inside its first backbone backward
        dock.select_field_box(50, 30, 90, 60)  # job 2: cancels job 1
        go_on.set()
        qtbot.waitUntil(lambda: len(answers) == 2, timeout=30000)
    finally:
        go_on.set()
        pool.wait(30000)
        for handle in handles:
            handle.remove()

    first, second = answers
    assert isinstance(first, Cancelled)  # job 1 stopped: its answer is the cancel, not a field
    assert shown == [second]  # and it was dropped
    # job 1 reached the stem in none of its five backbone backwards; job 2 in all five
    assert len(reached_stem) == len(second.names) == 5
    wanted = box_region(dock.acts.geometry.image_size, 50, 30, 90, 60)
    field = dock.erf_tab.field
    assert field is second and field.region.box == wanted.box and field.kind == "box"
    assert "Box of" in dock.erf_tab.readout.text() and "failed" not in dock.status.text()
