"""The inspector tests' tiny model, photo, captured result and dock (shared by several test files)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
from app.classes import generic_classes
from app.engine.segmenter import Segmenter
from app.gui.inspector import PPMInspectorDock, synchronous_submit
from app.model import build_pspnet
from tests.helpers import lively


@pytest.fixture
def segmenter(tiny_config):
    torch.manual_seed(0)
    model = lively(build_pspnet(tiny_config))
    loaded = LoadedModel(model, ModelMeta("native", tiny_config, generic_classes(tiny_config.num_classes)))
    return Segmenter(loaded, device="cpu")


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return np.repeat(np.repeat(rng.integers(0, 255, (8, 10, 3), dtype=np.uint8), 10, 0), 10, 1)[:70, :96]


@pytest.fixture
def result(segmenter, image):
    return segmenter.segment(image, ProtocolSettings(base_size=96), capture=True)


@pytest.fixture
def dock(qtbot, segmenter):
    widget = PPMInspectorDock(submit=synchronous_submit(segmenter), background=synchronous_submit())
    qtbot.addWidget(widget)
    widget.resize(700, 900)
    widget.show()
    return widget
