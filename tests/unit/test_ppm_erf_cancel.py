"""Cancelling a receptive field: the event is looked at inside the forward and inside each
backbone backward pass, not only once the field is done (counted by hooks on the stages)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.engine.ppm_erf import receptive_field
from app.engine.ppm_region import box_region
from app.engine.ppm_region_erf import region_receptive_field
from app.engine.result import Cancelled
from tests.unit.erf_fixtures import PHOTO, gradients_reaching, hook_counts, small_field_case


@pytest.fixture(scope="module")
def case():
    model, network_input, geometry, _ = small_field_case(True)
    return model, network_input, geometry


def test_without_a_cancel_every_path_runs_one_backbone_backward(case):
    model, network_input, geometry = case
    reached: list[str] = []
    handle = gradients_reaching(model.backbone.stem, reached, "stem")
    try:
        field = receptive_field(model, network_input, geometry, 40, 20, cancel=threading.Event())
    finally:
        handle.remove()
    assert reached == ["stem"] * len(field.names) == ["stem"] * 5  # features + four branches


def test_a_cancel_during_the_first_backward_stops_it_before_the_stem(case):
    model, network_input, geometry = case
    before = hook_counts(model)
    expected = receptive_field(model, network_input, geometry, 40, 20)
    cancel = threading.Event()
    reached: list[str] = []
    handles = [gradients_reaching(model.backbone.layer4, reached, "layer4", on_grad=cancel.set),
               gradients_reaching(model.backbone.stem, reached, "stem")]
    try:
        with pytest.raises(Cancelled):
            receptive_field(model, network_input, geometry, 40, 20, cancel=cancel)
    finally:
        for handle in handles:
            handle.remove()
    # the first backward reached layer4's output, then stopped within the stage: no gradient
    # reached the stem, and no second path ran
    assert reached == ["layer4"]
    assert hook_counts(model) == before  # the cancel hooks are gone again
    again = receptive_field(model, network_input, geometry, 40, 20)  # the model is as it was
    np.testing.assert_array_equal(again.paths, expected.paths)


def test_a_cancel_during_the_forward_stops_it_within_a_stage(case):
    model, network_input, geometry = case
    cancel = threading.Event()
    ran: list[str] = []
    handles = [model.backbone.layer3.register_forward_pre_hook(lambda _m, _i: cancel.set()),
               model.backbone.layer4.register_forward_pre_hook(lambda _m, _i: ran.append("layer4"))]
    try:
        with pytest.raises(Cancelled):
            region_receptive_field(model, network_input, geometry, box_region(PHOTO, 10, 5, 60, 30), cancel=cancel)
    finally:
        for handle in handles:
            handle.remove()
    assert ran == []  # layer3's first block saw the event: layer4 never ran


def test_a_request_cancelled_while_it_waited_runs_nothing(case):
    model, network_input, geometry = case
    cancel = threading.Event()
    cancel.set()
    ran: list[str] = []
    handle = model.backbone.stem.register_forward_pre_hook(lambda _m, _i: ran.append("stem"))
    try:
        with pytest.raises(Cancelled):
            receptive_field(model, network_input, geometry, 40, 20, cancel=cancel)
    finally:
        handle.remove()
    assert ran == []
