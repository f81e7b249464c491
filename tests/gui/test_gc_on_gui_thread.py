"""Cycles are collected on the GUI thread while a worker runs (app/gui/gc_on_gui_thread.py)."""

from __future__ import annotations

import gc
import threading

import pytest

from app.gui import gc_on_gui_thread
from tests.gui.conftest import RESULT_TIMEOUT_MS, worker_signal


class Cycle:
    def __init__(self, freed_in: list[str]) -> None:
        self.me = self
        self.freed_in = freed_in

    def __del__(self) -> None:
        self.freed_in.append(threading.current_thread().name)


@pytest.fixture
def worker_started(qtbot, tiny_loaded):
    from app.gui.worker import InferenceWorker

    gc_on_gui_thread.uninstall()  # whatever an earlier test left: the worker's start installs it
    worker = InferenceWorker("cpu")
    with worker_signal(qtbot, worker.modelReady):
        worker.start()
        worker.set_model(tiny_loaded)
    yield worker
    assert worker.shutdown(2000)


def test_a_started_worker_moves_collection_to_the_gui_thread(qtbot, worker_started):
    assert gc_on_gui_thread.installed() and not gc.isenabled()
    freed: list[str] = []

    def make_garbage() -> None:  # a thread that allocates a lot: Python would collect here
        for _ in range(20_000):
            Cycle(freed)

    thread = threading.Thread(target=make_garbage, name="allocating")
    thread.start()
    thread.join()
    assert not freed  # nothing collected in that thread
    qtbot.waitUntil(lambda: len(freed) >= 20_000, timeout=RESULT_TIMEOUT_MS)
    assert set(freed) == {threading.main_thread().name}


def test_uninstall_gives_python_its_collector_back(qtbot, worker_started):
    gc_on_gui_thread.uninstall()
    assert gc.isenabled() and not gc_on_gui_thread.installed()
    assert gc_on_gui_thread.install() and not gc.isenabled()  # what the worker's start does
    assert gc_on_gui_thread.install()  # twice: still one collector


def test_gen0_collections_follow_pythons_threshold(qtbot, worker_started):
    collector = gc_on_gui_thread._installed
    assert collector is not None
    gc.collect()
    counts_before = gc.get_count()[0]
    collector.check()  # under the threshold: nothing to do
    assert gc.get_count()[0] >= counts_before
    junk = [Cycle([]) for _ in range(gc.get_threshold()[0] + 50)]
    del junk
    collector.check()
    assert gc.get_count()[0] < gc.get_threshold()[0]


class FakeCollector:
    """The parts of ``gc`` the collector uses, with counts a test sets."""

    def __init__(self, long_lived: int) -> None:
        self.count = (0, 0, 0)
        self.sizes = {0: 700, 1: 3000, 2: long_lived}
        self.collected: list[int] = []

    def get_threshold(self):
        return (700, 10, 10)

    def get_count(self):
        return self.count

    def get_objects(self, generation):
        return [None] * self.sizes[generation]

    def collect(self, generation):
        self.collected.append(generation)
        if generation == 2:
            self.sizes[2] += 0  # survivors stay
        return 200  # unreachable found: the rest of the young survive


def test_a_full_pass_waits_for_a_quarter_more_long_lived_objects(qtbot, monkeypatch):
    from PySide6.QtCore import QCoreApplication

    fake = FakeCollector(long_lived=400_000)
    monkeypatch.setattr(gc_on_gui_thread, "gc", fake)
    collector = gc_on_gui_thread.GuiThreadCollector(QCoreApplication.instance())
    collector.timer.stop()
    collector._last_full -= 3600  # noqa: SLF001 - long after the last full pass
    fake.count = (701, 11, 11)  # every generation over its threshold
    for _ in range(30):  # 3500 survivors each: 105 000 > 400 000 / 4 after 29 passes
        collector.check()
    assert fake.collected.count(2) == 1 and fake.collected.index(2) == 29  # not at once: Python's rule
    assert collector.pending == 0 and collector.long_lived == 400_000
    collector.deleteLater()
