"""Big photos in the window: a quick preview first, then the exact labels; cancel (the batch
dock's button, or moving to another image) stops the running image at its next strip.

The thresholds are lowered so the tiny test scenes count as big, and the upsampling is
cut into 4-row strips so an image has many of them. A wrapped strip stage counts the
strips and can hold one, so the tests act mid-stage without timing anything.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QRectF

import app.engine.fast as fast
from app.gui.batch import BatchOptions
from app.viewing.state import PREDICTION
from tests.gui.conftest import RESULT_TIMEOUT_MS, scene
from tests.gui.batch_fixtures import outputs_state

ROWS_PER_STRIP = 4


class StripGate:
    """Wraps the per-strip stage: counts full-size strips of photos ``width`` wide and holds
    strip number ``hold_at`` until ``release()`` (``reached`` is set when it gets there)."""

    def __init__(self, monkeypatch, width: int, hold_at: int) -> None:
        self.width, self.hold_at = width, hold_at
        self.strips = 0
        self.reached, self._open = threading.Event(), threading.Event()
        real = fast.argmax_and_confidence

        def stage(rows):
            if rows.shape[-1] == self.width:
                self.strips += 1
                if self.strips == self.hold_at:
                    self.reached.set()
                    self._open.wait(RESULT_TIMEOUT_MS / 1000)
            return real(rows)

        monkeypatch.setattr(fast, "argmax_and_confidence", stage)
        monkeypatch.setattr(fast, "strip_rows", lambda *_args, **_kw: ROWS_PER_STRIP)

    def release(self) -> None:
        self._open.set()


@pytest.fixture
def big_threshold(monkeypatch):
    """Scenes of 96 x 128 count as big photos; their preview has a 32-pixel long side."""
    monkeypatch.setattr(fast, "PREVIEW_MIN_PIXELS", 100 * 100)
    monkeypatch.setattr(fast, "PREVIEW_LONG_SIDE", 32)


def photos(root: Path, sizes: list[tuple[int, int]]) -> list[Path]:
    root.mkdir(exist_ok=True)
    paths = []
    for i, (height, width) in enumerate(sizes):
        path = root / f"img{i:02d}.png"
        Image.fromarray(scene(i, height, width)).save(path)
        paths.append(path)
    return paths


def test_the_preview_is_drawn_first_over_the_whole_photo_then_replaced(qtbot, window, tmp_path, big_threshold):
    (photo,) = photos(tmp_path / "in", [(96, 128)])
    viewer, pane = window.viewer, window.view.main_pane
    events: list[tuple[str, tuple[int, ...], QRectF]] = []

    legend_rows: list[int] = []

    def drawn(kind: str) -> None:
        fill = pane.fill
        events.append((kind, window.view.drawn_labels().shape, fill.mapRectToParent(fill.boundingRect())))
        legend_rows.append(len(window.legend.rows()))

    viewer.previewShown.connect(lambda _result: drawn("preview"))
    viewer.resultShown.connect(lambda _item: drawn("exact"))
    with qtbot.waitSignal(viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        viewer.open_image(photo)
    assert [e[0] for e in events] == ["preview", "exact"]
    assert events[0][1] == (24, 32) and events[1][1] == (96, 128)
    assert events[0][2] == QRectF(0, 0, 128, 96) == events[1][2]  # both cover the photo exactly
    assert not viewer.shown.result.preview and viewer.shown.result.labels.shape == (96, 128)
    assert legend_rows[0] > 0  # the legend lists the preview's classes before the exact areas come


def test_moving_on_drops_the_old_photos_full_result_and_stops_its_strips(qtbot, window, tmp_path, big_threshold,
                                                                         monkeypatch):
    first, second = photos(tmp_path / "in", [(96, 128), (64, 80)])
    gate = StripGate(monkeypatch, width=128, hold_at=1)
    viewer = window.viewer
    shown: list[tuple[int, ...]] = []
    viewer.resultShown.connect(lambda item: shown.append(item.result.labels.shape))
    try:
        with qtbot.waitSignal(viewer.previewShown, timeout=RESULT_TIMEOUT_MS):
            viewer.open_image(first)
        qtbot.waitUntil(gate.reached.is_set, timeout=RESULT_TIMEOUT_MS)  # the first photo's full-size strips
        viewer.show(second)  # the user moves on while they run
    finally:
        gate.release()
    qtbot.waitUntil(lambda: bool(shown), timeout=RESULT_TIMEOUT_MS)
    qtbot.wait(50)  # anything of the first photo still queued arrives now
    assert shown == [(64, 80)]  # the second photo only; the first's full labels never reached the screen
    assert gate.strips == 1  # of 24: stopped at the check after the strip it was in
    assert viewer.cache.get(viewer.state.key(first.resolve(), PREDICTION)) is None  # nothing of it was kept either
    assert window.view.drawn_labels().shape == (64, 80)


def test_the_batch_docks_cancel_stops_the_image_at_its_next_strip(qtbot, window, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    photos(folder, [(96, 128), (96, 128)])
    out = tmp_path / "labels"
    gate = StripGate(monkeypatch, width=128, hold_at=3)
    assert window.batch.start(BatchOptions(folder, out))
    run = window.batch.run
    try:
        qtbot.waitUntil(gate.reached.is_set, timeout=RESULT_TIMEOUT_MS)
        with qtbot.waitSignal(run.finished, timeout=RESULT_TIMEOUT_MS):
            window.batch.dock.cancel_button.click()
            gate.release()
    finally:
        gate.release()
    assert gate.strips == 3  # of the first image's 24: the fourth never started
    report = run.report
    assert report.cancelled and [r.status for r in report.records] == ["cancelled", "cancelled"]
    assert sorted(outputs_state(out, folder).values()) == [0, 0]  # no file of either image, no temporaries
    assert np.all([not p.name.startswith("img") for p in out.iterdir()])


def test_moving_on_while_the_photo_decodes_drops_it_without_an_error(qtbot, window, tmp_path, monkeypatch):
    import app.engine.imageio as imageio

    first, second = photos(tmp_path / "in", [(96, 128), (64, 80)])
    reached, release = threading.Event(), threading.Event()
    real_read = imageio._CancellableReader.read

    def held_read(self, size=-1):
        if not reached.is_set():  # the first read of the first photo: hold it
            reached.set()
            release.wait(RESULT_TIMEOUT_MS / 1000)
        return real_read(self, size)

    monkeypatch.setattr(imageio._CancellableReader, "read", held_read)
    worker, viewer = window.worker, window.viewer
    events: list[tuple[str, int]] = []
    worker.imageLoaded.connect(lambda rid, _loaded: events.append(("loaded", rid)))
    worker.requestFailed.connect(lambda rid, _text: events.append(("failed", rid)))
    worker.requestDropped.connect(lambda rid: events.append(("dropped", rid)))
    shown: list[tuple[int, ...]] = []
    viewer.resultShown.connect(lambda item: shown.append(item.result.labels.shape))
    try:
        viewer.open_image(first)
        first_id = viewer.current_id
        qtbot.waitUntil(reached.is_set, timeout=RESULT_TIMEOUT_MS)
        viewer.show(second)
    finally:
        release.set()
    qtbot.waitUntil(lambda: bool(shown), timeout=RESULT_TIMEOUT_MS)
    mine = [kind for kind, rid in events if rid == first_id]
    assert mine == ["dropped"]  # never decoded to the end, never an error message
    assert shown == [(64, 80)]
