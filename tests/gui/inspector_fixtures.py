"""The inspector tests' tiny model, photo, captured result and dock (shared by several test files),
and submit hooks that record each job's value or hold the jobs back (the cancel tests)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
from app.classes import generic_classes
from app.engine.segmenter import Segmenter
from app.gui.inspector import PPMInspectorDock, synchronous_submit
from app.gui.jobs import Job, OnDone, OnError, Submit
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


def drag_in_view(widget, view, start_xy: tuple[float, float], end_xy: tuple[float, float]) -> None:
    """A real left-button drag over a pyqtgraph ``widget``, from and to points of ``view``'s
    coordinates (photo pixels): press, six moves, release, sent to its viewport."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    def at(x: float, y: float) -> QPointF:
        return QPointF(widget.mapFromScene(view.mapViewToScene(QPointF(x, y))))

    start, end, target, left = at(*start_xy), at(*end_xy), widget.viewport(), Qt.MouseButton.LeftButton
    QApplication.sendEvent(target, QMouseEvent(QEvent.Type.MouseButtonPress, start, start, left, left,
                                                Qt.KeyboardModifier.NoModifier))
    for t in np.linspace(0.1, 1.0, 6):
        point = start + (end - start) * float(t)
        QApplication.sendEvent(target, QMouseEvent(QEvent.Type.MouseMove, point, point, Qt.MouseButton.NoButton,
                                                    left, Qt.KeyboardModifier.NoModifier))
    QApplication.sendEvent(target, QMouseEvent(QEvent.Type.MouseButtonRelease, end, end, left,
                                                Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))


def recording(submit: Submit, values: list) -> Submit:
    """``submit`` that first appends each job's value to ``values`` (a ``Cancelled`` too: what the
    dock then drops is seen here)."""
    def record(fn: Job, on_done: OnDone, on_error: OnError) -> None:
        submit(fn, lambda value: (values.append(value), on_done(value)), on_error)
    return record


class HeldJobs:
    """A submit hook that holds the jobs back until ``run_all`` runs them in order: the dock's
    requests all made while a busy worker has not started them. ``values``: each job's value."""

    def __init__(self, context: object) -> None:
        self.values: list = []
        self._run = recording(synchronous_submit(context), self.values)
        self.pending: list[tuple[Job, OnDone, OnError]] = []

    def __call__(self, fn: Job, on_done: OnDone, on_error: OnError) -> None:
        self.pending.append((fn, on_done, on_error))

    def run_all(self) -> list:
        while self.pending:
            self._run(*self.pending.pop(0))
        return self.values
