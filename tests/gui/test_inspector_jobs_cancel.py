"""The inspector's model jobs other than the receptive field: a newer request of the same kind
cancels the one before it, leaving the image cancels them all, and a stopped job's answer (its
``Cancelled``) is dropped quietly. The jobs are held back (``HeldJobs``), as a busy worker holds
them, so what ran is counted by hooks on the network and each job's value is seen."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from app.engine.ppm_ablation import AblationResult  # noqa: E402
from app.engine.ppm_gradcam import GradCAM  # noqa: E402
from app.engine.ppm_region import RegionSplit, box_region  # noqa: E402
from app.engine.ppm_stage_gradcam import StageGradCAM  # noqa: E402
from app.engine.result import Cancelled  # noqa: E402
from app.gui.inspector import PPMInspectorDock, synchronous_submit  # noqa: E402
from app.gui.worker_types import ModelInfo  # noqa: E402
from tests.gui.inspector_fixtures import HeldJobs, image, result, segmenter  # noqa: E402,F401 - fixtures

CLASS = 1
BOXES = ((5, 5, 30, 25), (50, 30, 90, 60))  # x0, y0, x1, y1 of the first and the second request


@pytest.fixture
def held(qtbot, segmenter, image, result):  # noqa: F811
    """(dock on the image, its held jobs, the network): on the Maps tab, so nothing is asked for yet."""
    jobs = HeldJobs(segmenter)
    dock = PPMInspectorDock(submit=jobs, background=synchronous_submit())
    qtbot.addWidget(dock)
    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))
    assert jobs.pending == []
    return dock, jobs, segmenter.loaded.model


def _box(dock, n: int):
    return box_region(dock.acts.geometry.image_size, *BOXES[n])


def _count_forwards(module, ran: list[str], name: str):
    return module.register_forward_hook(lambda _m, _i, _o: ran.append(name))


def _shown(monkeypatch, owner, method: str) -> list:
    """What the dock hands to ``owner.method`` (its answers, after the dock's own checks)."""
    got: list = []
    original = getattr(owner, method)
    monkeypatch.setattr(owner, method, lambda value: (got.append(value), original(value)))
    return got


@pytest.mark.parametrize("signal, shown_by, answer, runs", [
    ("stageGradcamWanted", "set_stage_gradcam", StageGradCAM, "backbone.stem"),  # a backbone pass
    ("gradcamWanted", "set_gradcam", GradCAM, "head"),  # the head only
])
def test_a_second_gradcam_cancels_the_first(held, monkeypatch, signal, shown_by, answer, runs):
    dock, jobs, model = held
    shown = _shown(monkeypatch, dock.contrib_tab, shown_by)
    ran: list[str] = []
    handle = _count_forwards(model.get_submodule(runs), ran, runs)
    try:
        for n in range(2):
            getattr(dock.contrib_tab, signal).emit(_box(dock, n), CLASS)
        first, second = jobs.run_all()
    finally:
        handle.remove()
    assert isinstance(first, Cancelled) and isinstance(second, answer)
    assert ran == [runs]  # one pass: the first job ran none of its own
    assert shown == [second] and "failed" not in dock.status.text()
    if answer is StageGradCAM:
        assert second.pixel_count == _box(dock, 1).pixels


def test_a_second_ablation_cancels_the_first(held):
    dock, jobs, model = held
    ran: list[str] = []
    handle = _count_forwards(model.head, ran, "head")
    try:
        dock.apply_ablation((1,), "zero")
        dock.apply_ablation((0, 2), "mean")
        first, second = jobs.run_all()
    finally:
        handle.remove()
    assert isinstance(first, Cancelled) and isinstance(second, AblationResult)
    assert ran == ["head", "head"]  # the second's baseline and ablated passes only
    result = dock.ablation_tab.result
    assert result is second and result.parts_off == (0, 2) and result.mode == "mean"
    assert "failed" not in dock.status.text()


def test_a_second_split_cancels_the_first(held, monkeypatch):
    dock, jobs, _ = held
    shown = _shown(monkeypatch, dock.contrib_tab, "show_split")
    for n in range(2):
        dock.select_box(*BOXES[n])
    dock.show_pixel(40, 20)  # a pixel's split is the newest split: it cancels the second box's
    assert len(jobs.pending) == 3
    values = jobs.run_all()
    first, second, pixel = values[:3]
    assert isinstance(first, Cancelled) and isinstance(second, Cancelled)
    assert (pixel.x, pixel.y) == (40, 20) and dock.contrib_tab.attribution is pixel
    assert [s.kind for s in shown] == ["pixel"]  # no box's split reached the tab
    assert "failed" not in dock.status.text()
    asked_after = values[3:]  # what the pixel's split asked for once shown (its class maps)
    assert asked_after and not any(isinstance(v, Cancelled) for v in asked_after)

    done = len(values)
    dock.select_box(*BOXES[0])
    split = jobs.run_all()[done]
    assert isinstance(split, RegionSplit) and shown[1:] == [split] and split.region.box == _box(dock, 0).box


def test_leaving_the_image_cancels_every_request(held, image, result, segmenter):  # noqa: F811
    dock, jobs, model = held
    dock.tabs.setCurrentWidget(dock.contrib_tab)  # asks for the contribution maps
    responses = dock._responses
    dock.contrib_tab.stageGradcamWanted.emit(_box(dock, 0), CLASS)
    dock.contrib_tab.gradcamWanted.emit(_box(dock, 0), CLASS)
    dock.apply_ablation((1,), "zero")
    dock.select_box(*BOXES[0])
    dock._compute_field(40, 20, CLASS)
    assert len(jobs.pending) == 6
    ran: list[str] = []
    handles = [_count_forwards(model.backbone.stem, ran, "stem"), _count_forwards(model.head, ran, "head")]
    try:
        dock.clear()  # the user left the image
        values = jobs.run_all()
    finally:
        for handle in handles:
            handle.remove()
    assert len(values) == 6 and all(isinstance(v, Cancelled) for v in values)
    assert ran == [] and not responses.ready  # no pass ran, not even the head's conv of the contributions
    assert dock._cancels == {} and dock.status.text() == ""

    dock.set_result(image, result, ModelInfo.describe(segmenter.loaded))  # back: it works again
    dock.apply_ablation((1,), "zero")
    again = jobs.run_all()[6:]  # the new capture's contribution maps, the ablation, the class maps asked for
    assert not any(isinstance(v, Cancelled) for v in again)
    assert dock.ablation_tab.result in again and dock.contrib_tab.maps in again
