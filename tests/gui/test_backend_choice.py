"""Model > Backend in the window: the setting, the worker's segmenter, the read-out, graphs
built in a child process (never in the window's), the fallbacks to PyTorch, and cancels.

One test builds a graph of the tiny model in a child process (about ten seconds: the
child imports torch and exports); the others need no graph or make ONNX Runtime absent.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.gui.settings import AppSettings
from tests.engine_fixtures import varied_loaded
from tests.gui.conftest import RESULT_TIMEOUT_MS, scene, worker_signal

BUILD_TIMEOUT_MS = 180_000  # a child process that imports torch and exports, on a shared machine


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty graph cache for this test (the child process inherits the variable)."""
    from app.paths import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "onnx"


@pytest.fixture
def onnx_window(qtbot, fresh_cache):
    """A window set to ONNX Runtime on the CPU, holding a tiny model with varied labels."""
    from app.gui.main_window import MainWindow

    settings = AppSettings()
    settings.set_backend("onnx")
    settings.set_device("cpu")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        win.worker.start()
        win.worker.set_model(varied_loaded())
    yield win
    win.close()


def ask_worker(qtbot, worker, fn):
    with worker_signal(qtbot, worker.jobFinished) as blocker:
        worker.submit_job(fn)
    return blocker.args[1]


def segment_shown(qtbot, win, path):
    """Open ``path``; its outcome once the window has shown it. The worker's signal reaches a
    test's function in the worker thread, but only after it has posted the window's own slot:
    the window can show the result before the function has run, so wait for both."""
    outcomes = []
    win.worker.resultReady.connect(lambda rid, outcome: outcomes.append(outcome))
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        assert win.viewer.open_path(path)
    qtbot.waitUntil(lambda: bool(outcomes), timeout=RESULT_TIMEOUT_MS)
    return outcomes[-1]


def test_the_choice_is_saved_and_restored(qtbot, window):
    assert window.settings.backend() == "torch"  # the default, as on the command line
    assert window.readout.backend.text() == "backend: PyTorch"
    with qtbot.waitSignal(window.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS) as blocker:
        window.actions_.backend_actions["auto"].trigger()
    assert blocker.args[0].backend == "auto" and window.settings.backend() == "auto"
    assert window.readout.backend.text() == "backend: Automatic"
    assert ask_worker(qtbot, window.worker, lambda seg: (seg.backend.requested, seg.backend.builds)) == ("auto", False)

    from app.gui.main_window import MainWindow

    again = MainWindow(AppSettings())  # the next session
    qtbot.addWidget(again)
    assert again.actions_.backend_actions["auto"].isChecked()
    assert again.worker._backend == "auto"
    again.close()


def test_unknown_stored_backend_falls_back_to_torch(qtbot):
    settings = AppSettings()
    settings._s.setValue("model/backend", "tensorrt")
    assert settings.backend() == "torch"


def segment_with_torch(segmenter, image):
    """PyTorch's labels for ``image`` with the worker's own model (in the worker thread)."""
    from app.engine.segmenter import Segmenter

    return Segmenter(segmenter.loaded, "cpu").segment(image, segmenter.loaded.meta.protocol("fast")).labels


def moving_on_stops_an_onnx_forward(qtbot, win, monkeypatch, image):
    """The request's cancel reaches ONNX Runtime's run (its terminate flag), which stops."""
    from app.engine import onnx_backend

    entered, seen = threading.Event(), []
    original = onnx_backend.Graph.run

    def held_run(self, x, cancel=None):
        seen.append(cancel)
        entered.set()
        assert cancel is not None and cancel.wait(30)  # the user moved on
        return original(self, x, cancel)  # set already: ONNX Runtime stops at its first operator

    monkeypatch.setattr(onnx_backend.Graph, "run", held_run)
    dropped, results = [], []
    win.worker.requestDropped.connect(dropped.append)
    win.worker.resultReady.connect(lambda rid, outcome: results.append(rid))
    rid = win.worker.submit_segment(image=image)
    assert entered.wait(30)
    win.worker.cancel_segment()
    qtbot.waitUntil(lambda: rid in dropped, timeout=RESULT_TIMEOUT_MS)
    assert rid not in results and seen[0].is_set()


def test_onnx_graph_is_built_in_a_child_process_then_used(qtbot, onnx_window, fresh_cache, image_folder,
                                                          monkeypatch):
    win = onnx_window
    builds = []
    win.graph_builds.finished.connect(builds.append)
    first = segment_shown(qtbot, win, image_folder / "scene2.png")  # no graph yet: PyTorch runs it, and a build starts
    assert first.result.backend == "torch"
    assert win.graph_builds.running() and win.graph_builds.widget.isVisibleTo(win)
    assert ask_worker(qtbot, win.worker, lambda seg: seg.backend.cache.builds) == 0  # nothing exported here
    assert win.readout.backend.text() == "backend: PyTorch (no ONNX graph yet)"
    qtbot.waitUntil(lambda: bool(builds), timeout=BUILD_TIMEOUT_MS)
    assert win.readout.backend.text() == "backend: PyTorch (ONNX graph ready)"  # for the next image
    assert builds == [True] and not win.graph_builds.running()
    assert len(list(fresh_cache.glob("*.onnx"))) == 1 and not list(fresh_cache.glob("*.tmp"))
    token = win.viewer.model.token  # the image on screen is not run again: nothing is cleared
    second = segment_shown(qtbot, win, image_folder / "scene1.png")  # the same size: the graph runs it
    assert second.result.backend == "onnx" and win.viewer.model.token == token
    assert win.readout.backend.text() == "backend: ONNX Runtime"
    torch_labels = ask_worker(qtbot, win.worker, lambda seg: segment_with_torch(seg, second.image))
    assert len(np.unique(torch_labels)) >= 2  # a model that varies: agreement means something
    assert (second.result.labels == torch_labels).mean() >= 0.9999
    # the same graph (one build per test run is enough): moving on stops its forward
    from app.engine.imageio import read_image

    moving_on_stops_an_onnx_forward(qtbot, win, monkeypatch, read_image(image_folder / "scene0.png"))


def test_a_cancelled_build_leaves_no_file(qtbot, onnx_window, fresh_cache, image_folder):
    win = onnx_window
    segment_shown(qtbot, win, image_folder / "scene1.png")
    assert win.graph_builds.running()
    qtbot.waitUntil(lambda: "ONNX graph 1/1" in win.graph_builds.label.text(), timeout=BUILD_TIMEOUT_MS)
    assert "for inputs of 1x3x" in win.graph_builds.label.toolTip()
    with qtbot.waitSignal(win.graph_builds.finished, timeout=RESULT_TIMEOUT_MS) as blocker:
        win.graph_builds.cancel_button.click()
    assert blocker.args == [False] and not win.graph_builds.widget.isVisibleTo(win)
    leftovers = list(fresh_cache.iterdir()) if fresh_cache.is_dir() else []
    assert not leftovers


def test_choosing_pytorch_stops_a_build(qtbot, onnx_window, image_folder):
    segment_shown(qtbot, onnx_window, image_folder / "scene0.png")
    assert onnx_window.graph_builds.running()
    with qtbot.waitSignal(onnx_window.graph_builds.finished, timeout=RESULT_TIMEOUT_MS) as blocker:
        onnx_window.set_backend("torch")
    assert blocker.args == [False]


def test_missing_onnxruntime_says_so_and_runs_pytorch(qtbot, monkeypatch, fresh_cache, image_folder):
    from app.engine import backend, onnx_backend
    from app.gui.main_window import MainWindow

    monkeypatch.setattr(onnx_backend, "missing_packages", lambda names=onnx_backend.REQUIRED: ["onnxruntime"])
    monkeypatch.setattr(backend, "missing_packages", lambda names=onnx_backend.REQUIRED: ["onnxruntime"])
    settings = AppSettings()
    settings.set_backend("onnx")
    win = MainWindow(settings, device="cpu")
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS) as blocker:
        win.worker.start()
        win.worker.set_model(varied_loaded())
    info = blocker.args[0]
    assert info.backend == "torch" and "onnxruntime is not installed" in info.backend_note
    assert win.messages.level == "warning" and "pip install onnxruntime" in win.messages.message()
    assert "PyTorch" in win.readout.backend.text()
    outcome = segment_shown(qtbot, win, image_folder / "scene0.png")
    assert outcome.result.backend == "torch" and not win.graph_builds.running()
    win.close()


def test_onnx_on_a_gpu_names_the_cpu_choice():
    from app.gui.worker_errors import backend_refusal

    text = backend_refusal("cuda:0")
    assert "CPU only" in text and "cuda:0" in text and "Model > Device > cpu" in text


@pytest.mark.parametrize("choice", ["onnx", "auto"])
def test_a_gpu_device_runs_pytorch(qtbot, monkeypatch, tiny_loaded, choice):
    """ONNX Runtime's CPU wheel has no GPU provider: explicit onnx there is refused with a
    message naming the CPU choice, auto is PyTorch without one ("meta" stands for the GPU)."""
    import torch

    from app.engine import segmenter as segmenter_module
    from app.gui.worker import InferenceWorker

    monkeypatch.setattr(segmenter_module, "resolve_device", lambda name: torch.device("meta"))
    w = InferenceWorker("cuda", backend=choice)
    infos = []
    w.modelReady.connect(infos.append)
    w.start()
    w.set_model(tiny_loaded)
    qtbot.waitUntil(lambda: bool(infos), timeout=RESULT_TIMEOUT_MS)
    info = infos[0]
    if choice == "onnx":
        assert info.backend == "torch" and "CPU only" in info.backend_note and "meta" in info.backend_note
    else:
        assert info.backend == "auto" and info.backend_note == ""
    with worker_signal(qtbot, w.jobFinished) as blocker:
        w.submit_job(lambda seg: seg.backend.name)
    assert blocker.args[1] == "torch"
    assert w.shutdown(2000)


def test_batch_jobs_ask_for_their_graphs_too(qtbot, fresh_cache):
    """File > Label Folder runs each image as a worker job with the worker's segmenter: the
    ONNX Runtime choice applies, and a job's missing graphs are asked for like a view's."""
    from app.gui.worker import InferenceWorker

    w = InferenceWorker("cpu", backend="onnx")
    wanted = []
    w.graphsWanted.connect(wanted.append)
    with worker_signal(qtbot, w.modelReady):
        w.start()
        w.set_model(varied_loaded())
    with worker_signal(qtbot, w.jobFinished) as blocker:
        w.submit_job(lambda seg: (seg.backend.requested, seg.segment(scene(0)).labels.shape))
    assert blocker.args[1] == ("onnx", (96, 128))
    qtbot.waitUntil(lambda: bool(wanted), timeout=RESULT_TIMEOUT_MS)
    request = wanted[0]
    assert len(request.shapes) == 1 and request.shapes[0][:2] == (1, 3) and request.weights.is_file()
    assert not request.error
    assert w.shutdown(2000)
    assert not request.weights.exists()  # the copy for the child goes with the worker
