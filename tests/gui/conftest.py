"""GUI test set-up: offscreen Qt, settings in a temporary INI, tiny random models,
and a guard that fails any test leaving the inference thread running."""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QObject, QSettings  # noqa: E402 - PySide6 before pyqtgraph

import pyqtgraph as pg  # noqa: E402

from app.gui.pyside_fixes import protect_singletons_from_refcount_leak  # noqa: E402

protect_singletons_from_refcount_leak()

pg.setConfigOptions(imageAxisOrder="row-major")

RESULT_TIMEOUT_MS = 60_000  # generous: the CI machine is shared; results usually take < 2 s


@pytest.fixture(autouse=True)
def temp_settings(tmp_path_factory):
    """Every test reads and writes settings in its own empty INI folder."""
    folder = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture(autouse=True, scope="module")
def python_collector_back_after_the_module():
    """A started worker moves Python's cycle collector to the GUI thread (app/gui/gc_on_gui_thread.py);
    the tests outside tests/gui, which run in the same process, get Python's own back."""
    yield
    from app.gui import gc_on_gui_thread

    gc_on_gui_thread.uninstall()


@pytest.fixture(autouse=True)
def no_leaked_threads(monkeypatch):
    """Fail the test if an InferenceWorker's thread is still running when it ends."""
    from app.gui.worker import InferenceWorker

    created: list[InferenceWorker] = []
    original = InferenceWorker.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(InferenceWorker, "__init__", recording_init)
    yield created
    leaked = [w for w in created if w.thread_handle.isRunning()]
    for worker in leaked:
        worker.shutdown(5000)
    if leaked:
        pytest.fail(f"{len(leaked)} inference thread(s) left running by the test")


@pytest.fixture
def tiny_loaded(tiny_config):
    import torch

    from app.checkpoints.meta import LoadedModel, ModelMeta
    from app.classes import generic_classes
    from app.model import build_pspnet

    torch.manual_seed(0)
    model = build_pspnet(tiny_config)
    meta = ModelMeta(format="native", architecture=tiny_config,
                     classes=generic_classes(tiny_config.num_classes), name="tiny test model")
    return LoadedModel(model, meta)


def scene(seed: int, height: int = 96, width: int = 128) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    image = np.stack([(xx * 3 + seed * 40) % 256, (yy * 2) % 256, (xx + yy) % 256], -1)
    return np.clip(image + rng.integers(0, 20, image.shape), 0, 255).astype(np.uint8)


@pytest.fixture
def image_folder(tmp_path):
    """Three small scenes and one broken file."""
    from PIL import Image

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(scene(i)).save(folder / f"scene{i}.png")
    (folder / "zz_broken.jpg").write_bytes(b"this is not a JPEG")
    return folder


@pytest.fixture
def worker(qtbot, tiny_loaded):
    """An inference worker holding the tiny model, without a window; shut down after."""
    from app.gui.worker import InferenceWorker

    w = InferenceWorker("cpu")
    with worker_signal(qtbot, w.modelReady):
        w.start()
        w.set_model(tiny_loaded)
    yield w
    assert w.shutdown(2000)


@pytest.fixture
def window(qtbot, tiny_loaded):
    """A main window whose worker holds the tiny model (no weights file needed)."""
    from app.gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        win.worker.start()
        win.worker.set_model(tiny_loaded)
    yield win
    win.close()


class _Caught(QObject):
    """Lives in the GUI thread, so a worker-thread signal reaches ``take`` queued, there."""

    def __init__(self) -> None:
        super().__init__()
        self.args: list | None = None

    def take(self, *args) -> None:
        if self.args is None:
            self.args = list(args)


@contextmanager
def worker_signal(qtbot, signal, timeout: int = RESULT_TIMEOUT_MS):
    """``qtbot.waitSignal`` for a signal the inference worker emits in its own thread.

    waitSignal's blocker is a plain Python object: its slot runs in the worker thread, stops
    the blocker's QTimer there and, when the test has dropped the blocker first, deletes it
    there ("QObject::~QObject: Timers cannot be stopped from another thread", a Qt warning
    that fails the test). Here the answer is taken in the GUI thread, after the window's own
    slots for the same emission (posted before this one). ``.args`` as the blocker's."""
    caught = _Caught()
    signal.connect(caught.take)
    try:
        yield caught
        qtbot.waitUntil(lambda: caught.args is not None, timeout=timeout)
    finally:
        signal.disconnect(caught.take)


def open_and_wait(qtbot, win, path):
    """Open ``path`` in the window and wait for its result on screen (the CachedView)."""
    with qtbot.waitSignal(win.viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as blocker:
        assert win.viewer.open_path(path)
    return blocker.args[0]


@pytest.fixture
def varied(qtbot, window, image_folder, tiny_loaded):
    """The window with a tiny model that gives several classes, and a result of scene2."""
    from tests.helpers import lively

    lively(tiny_loaded.model)
    with qtbot.waitSignal(window.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        window.worker.set_model(tiny_loaded)
    item = open_and_wait(qtbot, window, image_folder / "scene2.png")
    assert len(item.result.present_classes()) >= 3
    return window, item
