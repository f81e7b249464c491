"""Cancelling the inspector's other model jobs (stage Grad-CAM, PPM Grad-CAM, ablation, the head's
responses): the event is looked at inside their passes, and what ran is counted by hooks."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

from app.engine.ppm_ablation import run_ablation
from app.engine.ppm_contrib import LazyHeadResponses, head_responses, model_parts
from app.engine.ppm_gradcam import region_gradcam
from app.engine.ppm_region import box_region
from app.engine.ppm_stage_gradcam import stage_gradcam
from app.engine.result import Cancelled
from tests.unit.erf_fixtures import PHOTO, gradients_reaching, hook_counts, hooked, small_field_capture

CLASS = 2


@pytest.fixture(scope="module")
def case():
    model, network_input, geometry, _, capture = small_field_capture(True)
    return model, network_input, geometry, capture, box_region(PHOTO, 10, 5, 60, 30)


def _calls(module: torch.nn.Module, ran: list[str], name: str, then=None) -> torch.utils.hooks.RemovableHandle:
    """Each forward of ``module`` appends ``name`` to ``ran`` once it is done (then calls ``then``)."""
    def hook(_module, _inputs, _output):
        ran.append(name)
        if then is not None:
            then()
    return module.register_forward_hook(hook)


class _Convs(TorchFunctionMode):
    """Counts ``F.conv2d`` calls (the head's per-part convs are no module calls); ``then`` after each."""

    def __init__(self, then=None) -> None:
        super().__init__()
        self.count, self.then = 0, then

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is torch.nn.functional.conv2d:
            self.count += 1
            if self.then is not None:
                self.then()
        return out


# --- Grad-CAM at the backbone's stages (a whole forward and backward) ----------------------

def test_stage_gradcam_with_an_unset_cancel_is_the_same_and_reaches_the_stem_once(case):
    model, network_input, geometry, _, region = case
    expected = stage_gradcam(model, network_input, geometry, region, CLASS)
    reached: list[str] = []
    with hooked(gradients_reaching(model.backbone.stem, reached, "stem")):
        cam = stage_gradcam(model, network_input, geometry, region, CLASS, cancel=threading.Event())
    assert reached == ["stem"]
    np.testing.assert_array_equal(cam.signed, expected.signed)


def test_a_cancel_in_the_stage_gradcam_backward_stops_it_before_the_stem(case):
    model, network_input, geometry, _, region = case
    before = hook_counts(model)
    cancel = threading.Event()
    reached: list[str] = []
    with hooked(gradients_reaching(model.backbone.layer4, reached, "layer4", on_grad=cancel.set),
                gradients_reaching(model.backbone.layer2, reached, "layer2"),
                gradients_reaching(model.backbone.stem, reached, "stem")):
        with pytest.raises(Cancelled):
            stage_gradcam(model, network_input, geometry, region, CLASS, cancel=cancel)
    assert reached == ["layer4"]  # the backward reached layer4's output, then stopped within layer4
    assert hook_counts(model) == before  # the cancel's hooks are gone again


def test_a_cancel_in_the_stage_gradcam_forward_stops_it_within_a_stage(case):
    model, network_input, geometry, _, region = case
    cancel = threading.Event()
    ran: list[str] = []
    with hooked(model.backbone.layer3.register_forward_pre_hook(lambda _m, _i: cancel.set()),
                _calls(model.backbone.layer4, ran, "layer4"), _calls(model.head, ran, "head")):
        with pytest.raises(Cancelled):
            stage_gradcam(model, network_input, geometry, region, CLASS, cancel=cancel)
    assert ran == []  # layer3's first block saw the event: neither layer4 nor the head ran


def test_a_cancel_in_the_stage_gradcam_head_stops_it_before_the_backward(case):
    model, network_input, geometry, _, region = case
    cancel = threading.Event()
    reached: list[str] = []
    with hooked(model.head.register_forward_hook(lambda _m, _i, _o: cancel.set()),
                gradients_reaching(model.head, reached, "head")):
        with pytest.raises(Cancelled):
            stage_gradcam(model, network_input, geometry, region, CLASS, cancel=cancel)
    assert reached == []  # the head's backward (no block's hook sees it) never began


@pytest.mark.parametrize("predicted_nowhere", [False, True])
def test_a_stage_gradcam_cancelled_while_it_waited_runs_nothing(case, predicted_nowhere):
    model, network_input, geometry, _, region = case
    cancel = threading.Event()
    cancel.set()
    ran: list[str] = []
    with hooked(_calls(model.backbone.stem, ran, "stem")):
        with pytest.raises(Cancelled):  # the zero maps of a class predicted nowhere still take a forward
            stage_gradcam(model, network_input, geometry, None if predicted_nowhere else region, CLASS,
                          cancel=cancel)
    assert ran == []


def test_a_cancel_in_the_forward_of_zero_maps_stops_it(case):
    model, network_input, geometry, _, _ = case
    cancel = threading.Event()
    ran: list[str] = []
    with hooked(model.backbone.layer2.register_forward_pre_hook(lambda _m, _i: cancel.set()),
                _calls(model.backbone.layer4, ran, "layer4")):
        with pytest.raises(Cancelled):
            stage_gradcam(model, network_input, geometry, None, CLASS, cancel=cancel)
    assert ran == []


# --- Grad-CAM at the PPM (the head only) -----------------------------------------------------

def test_ppm_gradcam_with_an_unset_cancel_is_the_same_and_runs_one_backward(case):
    model, _, geometry, capture, region = case
    expected = region_gradcam(model, capture, geometry, region, CLASS)
    reached: list[str] = []
    with hooked(gradients_reaching(model.head, reached, "head")):
        cam = region_gradcam(model, capture, geometry, region, CLASS, threading.Event())
    assert reached == ["head"]
    np.testing.assert_array_equal(cam.signed, expected.signed)


def test_a_cancel_in_the_ppm_gradcam_forward_stops_it_before_the_backward(case):
    model, _, geometry, capture, region = case
    before = hook_counts(model)
    cancel = threading.Event()
    reached: list[str] = []
    with hooked(model.head.conv.register_forward_hook(lambda _m, _i, _o: cancel.set()),
                gradients_reaching(model.head, reached, "head")):
        with pytest.raises(Cancelled):
            region_gradcam(model, capture, geometry, region, CLASS, cancel)
    assert reached == []  # the forward ran, no backward began
    assert hook_counts(model) == before


def test_a_cancel_in_the_ppm_gradcam_backward_stops_it_before_the_head_conv(case):
    model, _, geometry, capture, region = case
    before = hook_counts(model)
    expected = region_gradcam(model, capture, geometry, region, CLASS)
    cancel = threading.Event()
    reached: list[str] = []
    with hooked(gradients_reaching(model.head.classifier, reached, "classifier", on_grad=cancel.set),
                gradients_reaching(model.head.bn, reached, "bn"),
                gradients_reaching(model.head.conv, reached, "conv")):
        with pytest.raises(Cancelled):
            region_gradcam(model, capture, geometry, region, CLASS, cancel)
    # the backward reached the classifier's output, then stopped there: the gradient reached
    # neither the batch norm's output nor the 3x3 conv's, whose backward is the long step
    assert reached == ["classifier"]
    assert hook_counts(model) == before  # the cancel's hooks are gone again
    again = region_gradcam(model, capture, geometry, region, CLASS, threading.Event())
    np.testing.assert_array_equal(again.signed, expected.signed)  # the model is as it was


def test_a_ppm_gradcam_cancelled_while_it_waited_runs_nothing(case):
    model, _, geometry, capture, region = case
    cancel = threading.Event()
    cancel.set()
    ran: list[str] = []
    with hooked(_calls(model.head.conv, ran, "conv")):
        with pytest.raises(Cancelled):
            region_gradcam(model, capture, geometry, region, CLASS, cancel)
    assert ran == []


# --- ablation: the head, twice -------------------------------------------------------------

def test_an_ablation_with_an_unset_cancel_runs_both_head_passes(case):
    model, _, geometry, capture, _ = case
    expected = run_ablation(model, capture, geometry, (1,), "zero")
    ran: list[str] = []
    with hooked(_calls(model.head, ran, "head")):
        result = run_ablation(model, capture, geometry, (1,), "zero", cancel=threading.Event())
    assert ran == ["head", "head"]  # the baseline and the ablated pass
    np.testing.assert_array_equal(result.ablated, expected.ablated)


def test_a_cancel_during_the_baseline_pass_skips_the_ablated_one(case):
    model, _, geometry, capture, _ = case
    before = hook_counts(model)
    cancel = threading.Event()
    ran: list[str] = []
    with hooked(_calls(model.head, ran, "head", then=cancel.set)):
        with pytest.raises(Cancelled):
            run_ablation(model, capture, geometry, (1,), "zero", cancel=cancel)
    assert ran == ["head"]
    assert hook_counts(model) == before


def test_an_ablation_cancelled_while_it_waited_runs_nothing(case):
    model, _, geometry, capture, _ = case
    cancel = threading.Event()
    cancel.set()
    ran: list[str] = []
    with hooked(_calls(model.head, ran, "head")):
        with pytest.raises(Cancelled):
            run_ablation(model, capture, geometry, (1, 2), "mean", cancel=cancel)
    assert ran == []


# --- the head's responses (contribution maps, region splits, class maps) ------------------------

def test_head_responses_are_one_conv_per_part_as_head_conv_parts(case):
    model, _, _, capture, _ = case
    with _Convs() as convs:
        head = head_responses(model, capture, threading.Event())
    assert convs.count == len(head.names) == 5  # features and four branches
    with torch.no_grad():
        parts = model.head_conv_parts(model_parts(model, capture))
    for p, part in enumerate(parts):
        np.testing.assert_array_equal(head.responses[:, p].numpy(), part[0].float().numpy())


def test_a_cancel_after_the_first_part_stops_the_head_responses(case):
    model, _, _, capture, _ = case
    cancel = threading.Event()
    lazy = LazyHeadResponses(capture, cancel)
    with _Convs(then=cancel.set) as convs:
        with pytest.raises(Cancelled):
            lazy.get(model)
    assert convs.count == 1 and not lazy.ready  # the features' conv ran, no branch's
    with _Convs() as convs:
        with pytest.raises(Cancelled):  # the image was left: every later job that needs them stops at once
            lazy.get(model)
    assert convs.count == 0
