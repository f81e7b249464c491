"""The contour layer made after segmenting stops when the user has moved on (issue: an
8000x6000 photo's contours took long after the user left it), and is the whole map's."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.viewing import layers as layers_module
from app.viewing.layers import prepare_layers
from tests.gui.conftest import RESULT_TIMEOUT_MS, scene, worker_signal


def blocky_labels(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 6, (height // 37 + 1, width // 37 + 1)).astype(np.uint8)
    labels = np.kron(cells, np.ones((37, 37), np.uint8))[:height, :width]
    labels[rng.random(labels.shape) < 0.002] = 2  # single-pixel specks on band edges too
    return labels


@pytest.mark.parametrize("shape", [(1, 1), (511, 300), (1030, 700), (2300, 4100)])  # thickness 1 to 5
def test_bands_give_the_whole_maps_contours(shape):
    labels = blocky_labels(*shape)
    whole = prepare_layers(labels, 6)
    banded = prepare_layers(labels, 6, cancel=threading.Event())
    assert banded is not None and whole is not None
    assert banded.contours.dtype == whole.contours.dtype
    np.testing.assert_array_equal(banded.contours, whole.contours)


def test_a_set_cancel_stops_between_bands(monkeypatch):
    cancel = threading.Event()
    calls = []
    original = layers_module.contour_labels

    def counting(labels, num_classes, thickness=1):
        calls.append(labels.shape[0])
        cancel.set()  # the user moves on while the first band is made
        return original(labels, num_classes, thickness)

    monkeypatch.setattr(layers_module, "contour_labels", counting)
    assert prepare_layers(blocky_labels(3000, 200), 6, cancel=cancel) is None
    assert len(calls) == 1  # the other bands were not made


def test_worker_drops_a_result_whose_contours_were_cancelled(qtbot, tiny_loaded, monkeypatch):
    from app.gui import worker as worker_module
    from app.gui.worker import InferenceWorker

    real = worker_module.prepare_layers
    cancels = []

    def moved_on(labels, num_classes, cancel=None):
        cancels.append(cancel)
        cancel.set()  # as submit_segment does for the running request when the user moves on
        return real(labels, num_classes, cancel=cancel)

    monkeypatch.setattr(worker_module, "prepare_layers", moved_on)
    w = InferenceWorker("cpu")
    results, dropped = [], []
    w.resultReady.connect(lambda rid, outcome: results.append(rid))
    w.requestDropped.connect(dropped.append)
    with worker_signal(qtbot, w.modelReady):
        w.start()
        w.set_model(tiny_loaded)
    rid = w.submit_segment(image=scene(0))
    qtbot.waitUntil(lambda: rid in dropped, timeout=RESULT_TIMEOUT_MS)
    assert results == [] and cancels[0] is not None
    monkeypatch.setattr(worker_module, "prepare_layers", real)
    with worker_signal(qtbot, w.resultReady):
        later = w.submit_segment(image=scene(1))
    qtbot.waitUntil(lambda: later in results, timeout=RESULT_TIMEOUT_MS)
    assert w.shutdown(2000)
