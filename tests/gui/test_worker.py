"""The inference thread: stale results, coalescing, cancelling, closing, the job slot."""

from __future__ import annotations

import threading

import numpy as np

from tests.gui.conftest import RESULT_TIMEOUT_MS, scene, worker_signal


def block_worker(worker):
    """Occupy the worker with a job until the returned event is set."""
    started, release = threading.Event(), threading.Event()

    def wait(_segmenter):
        started.set()
        release.wait(30)
        return "released"

    worker.submit_job(wait)
    assert started.wait(30)
    return release


def test_job_slot_runs_in_the_worker_thread(qtbot, worker):
    gui_thread = threading.get_ident()
    with worker_signal(qtbot, worker.jobFinished) as blocker:
        job = worker.submit_job(lambda seg: (threading.get_ident(), seg.num_classes,
                                             __import__("torch").is_inference_mode_enabled()))
    job_id, (thread_id, classes, inference_mode) = blocker.args
    assert job_id == job and thread_id != gui_thread and classes == 5 and inference_mode

    with worker_signal(qtbot, worker.jobFailed) as blocker:
        bad = worker.submit_job(lambda seg: seg.segment(np.zeros((4, 4), np.uint8)))
    assert blocker.args[0] == bad and "expected an (H, W, 3) uint8 RGB image" in blocker.args[1]


def test_flicking_runs_only_the_latest_request(qtbot, worker):
    results, dropped = [], []
    worker.resultReady.connect(lambda rid, outcome: results.append(rid))
    worker.requestDropped.connect(dropped.append)
    release = block_worker(worker)
    first = worker.submit_segment(image=scene(0))
    second = worker.submit_segment(image=scene(1))
    third = worker.submit_segment(image=scene(2))
    with worker_signal(qtbot, worker.resultReady):
        release.set()
    qtbot.wait(50)
    assert results == [third]
    assert first in dropped and second in dropped


def test_viewer_drops_stale_results(qtbot, window, image_folder):
    viewer = window.viewer
    release = block_worker(window.worker)
    viewer.show(image_folder / "scene0.png")
    stale_id = viewer.current_id
    viewer.show(image_folder / "scene1.png")
    with qtbot.waitSignal(viewer.resultShown, timeout=RESULT_TIMEOUT_MS) as blocker:
        release.set()
    assert viewer.shown_path == image_folder / "scene1.png"
    shown = blocker.args[0]

    # A late result for the request the user left must not reach the screen.
    from app.gui.worker_types import SegmentOutcome

    late = SegmentOutcome(stale_id, image_folder / "scene0.png", scene(9), shown.result,
                          viewer.model.token)
    viewer._on_result(stale_id, late)
    assert viewer.shown is shown and viewer.shown_path == image_folder / "scene1.png"
    assert viewer.stale_results == 1


SLOW_JOB_FORWARDS = 10_000  # minutes of work unless cancellation works


def _slow_job(started: threading.Event, done: list[int]):
    def run(segmenter):
        big = np.random.default_rng(0).integers(0, 255, (1024, 1024, 3), dtype=np.uint8)
        started.set()
        for _ in range(SLOW_JOB_FORWARDS):
            segmenter.segment(big)
            done.append(1)
    return run


def test_close_during_inference_stops_the_work(qtbot, window):
    """Closing mid-job returns with the thread stopped, the job cut short (not run to its end:
    minutes). How soon is the benchmarks' business, not a timed assertion here."""
    started, done = threading.Event(), []
    window.worker.submit_job(_slow_job(started, done))
    assert started.wait(30)
    qtbot.waitUntil(lambda: bool(done), timeout=RESULT_TIMEOUT_MS)  # forwards under way
    window.close()
    assert not window.worker.thread_handle.isRunning()
    assert len(done) < 50, f"{len(done)} forwards ran: the close waited for the job"


def test_closing_cancels_a_running_segmentation(qtbot, window):
    window.viewer.set_protocol("official")  # many windows on a large image
    started, results = [], []
    window.worker.requestStarted.connect(started.append)
    window.worker.resultReady.connect(lambda rid, outcome: results.append(rid))
    window.viewer.segment_array(np.random.default_rng(1).integers(0, 255, (1600, 1600, 3), dtype=np.uint8))
    qtbot.waitUntil(lambda: bool(started), timeout=RESULT_TIMEOUT_MS)
    window.close()
    assert not window.worker.thread_handle.isRunning()
    assert not results, "the segmentation ran to its end before the window closed"


def test_a_new_request_cancels_the_running_one(qtbot, worker):
    started, dropped = [], []
    worker.requestStarted.connect(started.append)
    worker.requestDropped.connect(dropped.append)
    big = np.random.default_rng(2).integers(0, 255, (1024, 1024, 3), dtype=np.uint8)
    slow = worker.submit_segment(image=big, protocol="official")
    qtbot.waitUntil(lambda: slow in started, timeout=RESULT_TIMEOUT_MS)
    with worker_signal(qtbot, worker.resultReady) as blocker:
        quick = worker.submit_segment(image=scene(3))
    assert blocker.args[0] == quick
    assert slow in dropped


def test_unknown_weights_file_is_a_message(qtbot, worker, tmp_path):
    bad = tmp_path / "garbage.pth"
    bad.write_bytes(b"not a checkpoint")
    with worker_signal(qtbot, worker.modelFailed) as blocker:
        worker.load_weights(bad)
    assert "garbage.pth" in blocker.args[0]


def test_leaked_thread_guard_sees_running_workers(no_leaked_threads, qtbot, tiny_loaded):
    from app.gui.worker import InferenceWorker

    w = InferenceWorker("cpu")
    w.start()
    assert w in no_leaked_threads and w.thread_handle.isRunning()
    assert w.shutdown(2000) and not w.thread_handle.isRunning()
