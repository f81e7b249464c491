"""Model B in the inference worker: its order after A, drops when the user moves on, its
thread, a device change, and the dock's read-out under the pointer (app/gui/worker_compare.py)."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QThread

from app.gui.worker_compare import NO_COMPARE_MESSAGE
from app.gui.worker_types import CompareRequest
from tests.engine_fixtures import varied_loaded
from tests.gui.conftest import RESULT_TIMEOUT_MS


def with_model_b(qtbot, window):
    link = window.compare
    window.worker.set_compare(varied_loaded(), "in memory")
    qtbot.waitUntil(lambda: link.shown is not None, timeout=RESULT_TIMEOUT_MS)
    return link


def hold_worker(window):
    """A job that keeps the worker busy until the returned event is set."""
    release = threading.Event()
    window.worker.submit_job(lambda _segmenter: release.wait(30))
    return release


def request_for(item):
    return CompareRequest(0, ("test", id(item)), item.image, item.result.labels,
                          tuple(f"class {i}" for i in range(5)), item.result.protocol)


def test_b_runs_after_a_in_the_worker_thread(qtbot, varied, image_folder):
    window, item = varied
    with_model_b(qtbot, window)
    events, threads = [], []
    original = window.worker._compare.run
    window.worker._compare.run = lambda request: threads.append(QThread.currentThread()) or original(request)
    window.worker.resultReady.connect(lambda rid, _o: events.append(("A", rid)))
    window.worker.compareReady.connect(lambda rid, _o: events.append(("B", rid)))
    release = hold_worker(window)
    rid_a = window.worker.submit_segment(path=image_folder / "scene0.png")
    rid_b = window.worker.submit_compare(request_for(item))
    release.set()
    qtbot.waitUntil(lambda: ("B", rid_b) in events, timeout=RESULT_TIMEOUT_MS)
    assert events.index(("A", rid_a)) < events.index(("B", rid_b))
    assert threads and all(thread is window.worker.thread_handle for thread in threads)


def test_a_new_image_drops_the_comparison_of_the_old_one(qtbot, varied, image_folder):
    window, item = varied
    with_model_b(qtbot, window)
    dropped, answered, results = [], [], []
    window.worker.resultReady.connect(lambda rid, _o: results.append(rid))
    window.worker.compareDropped.connect(dropped.append)
    window.worker.compareReady.connect(lambda rid, _o: answered.append(rid))
    release = hold_worker(window)
    rid = window.worker.submit_compare(request_for(item))
    seg_id = window.worker.submit_segment(path=image_folder / "scene1.png")  # the user moved on
    release.set()
    qtbot.waitUntil(lambda: dropped == [rid], timeout=RESULT_TIMEOUT_MS)  # (delivered in the worker's thread)
    qtbot.waitUntil(lambda: seg_id in results, timeout=RESULT_TIMEOUT_MS)
    assert rid not in answered


def test_without_model_b_a_comparison_fails_with_a_message(qtbot, varied):
    window, item = varied
    failed = []
    window.worker.compareFailed.connect(lambda rid, text: failed.append((rid, text)))
    rid = window.worker.submit_compare(request_for(item))
    qtbot.waitUntil(lambda: bool(failed), timeout=RESULT_TIMEOUT_MS)
    assert failed == [(rid, NO_COMPARE_MESSAGE)]


def test_a_device_change_rebuilds_b_and_compares_again(qtbot, varied):
    window, _item = varied
    link = with_model_b(qtbot, window)
    token = link.model_b.token
    window.set_device("cpu")
    qtbot.waitUntil(lambda: link.model_b.token > token and link.shown is not None
                    and link.shown.outcome.model_token == link.model_b.token, timeout=RESULT_TIMEOUT_MS)
    assert link.model_b.device == "cpu"


def test_the_dock_says_what_each_model_gives_under_the_pointer(qtbot, varied):
    window, item = varied
    link = with_model_b(qtbot, window)
    labels_a, labels_b = item.result.labels, link.shown.outcome.labels_b
    ys, xs = np.nonzero(labels_a != labels_b)
    y, x = int(ys[0]), int(xs[0])
    window.view.cursorMoved.emit(x, y)
    assert link.dock.pointer.text() == (f"Under the pointer: A class {labels_a[y, x]}, "
                                       f"B class {labels_b[y, x]}")
    window.view.cursorMoved.emit(-1, -1)
    assert link.dock.pointer.text() == ""


def test_closing_while_b_segments_stops_it(qtbot, varied):
    window, item = varied
    with_model_b(qtbot, window)
    big = np.ascontiguousarray(np.tile(item.image, (24, 16, 1)))  # 2304 x 2048: B runs a while
    settings = window.viewer.model.meta.protocol("official")  # windows and flips: long enough to catch
    request = CompareRequest(0, "big", big, np.zeros(big.shape[:2], np.uint8), ("class 0",), settings)
    window.worker.submit_compare(request)
    answered = []
    window.worker.compareReady.connect(lambda rid, outcome: answered.append(rid))
    qtbot.waitUntil(lambda: isinstance(window.worker._running, CompareRequest), timeout=RESULT_TIMEOUT_MS)
    window.close()  # how soon is the benchmarks' business; here: stopped, not run to its end
    assert not window.worker.thread_handle.isRunning() and request.cancel.is_set()
    assert not answered, "B's segmentation ran to its end before the window closed"
