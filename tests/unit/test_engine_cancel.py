"""Cancel inside one image: every stage stops at its next check, and nothing is written.

No timing: each test sets the cancel from inside a stage (as another thread would)
and asserts how many more units of that stage ran (strips, blocks, encoder blocks).
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

import app.engine.fast as fast
import app.engine.resize as resize
import app.engine.writers as writers
from app.engine.batch import plan_jobs, process_one, run_batch
from app.engine.result import Cancelled
from app.engine.segmenter import Segmenter
from tests.engine_fixtures import block_image, varied_loaded


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter(varied_loaded(), "cpu")


def counting(monkeypatch, module, name: str, cancel: threading.Event, at: int) -> list[int]:
    """Wrap ``module.name`` to count its calls and set ``cancel`` during call number ``at``."""
    real = getattr(module, name)
    calls: list[int] = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) == at:
            cancel.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapped)
    return calls


def test_upsampling_and_argmax_stop_at_the_next_strip(monkeypatch):
    logits = torch.randn(5, 9, 12)
    cancel = threading.Event()
    strips = counting(monkeypatch, fast, "argmax_and_confidence", cancel, at=2)
    budget = 6 * 4 * 5 * 120 * 4  # 4 rows per strip: 25 strips for 100 rows
    with pytest.raises(Cancelled):
        fast.labels_from_logits(logits, (50, 60), (100, 120), False, np.dtype(np.uint8), budget, cancel=cancel)
    assert len(strips) == 2  # set during the second strip: the third never started


def test_the_input_resize_stops_at_the_next_strip(monkeypatch):
    cancel = threading.Event()
    strips = counting(monkeypatch, resize, "resize_rows_uint8", cancel, at=3)
    image = block_image(200, 160, 0)
    with pytest.raises(Cancelled):
        resize.resize_image(image, 100, 80, round_to_uint8=True, budget=6 * 4 * 3 * 160 * 5, cancel=cancel)
    assert len(strips) == 3


def test_a_whole_image_forward_stops_within_one_block(segmenter):
    """The fast protocol's single pass: cancel set inside the first backbone stage stops the
    pass before the pyramid pooling module and the head run."""
    cancel = threading.Event()
    model = segmenter.model
    ran: list[str] = []
    hooks = [model.backbone.layer1.register_forward_hook(lambda *_: cancel.set()),
             model.ppm.register_forward_pre_hook(lambda *_: ran.append("ppm")),
             model.head.register_forward_pre_hook(lambda *_: ran.append("head"))]
    try:
        with pytest.raises(Cancelled):
            segmenter.segment(block_image(64, 80, 1), cancel=cancel)
        assert ran == []
        assert segmenter.segment(block_image(64, 80, 1)).labels.shape == (64, 80)  # no hook left behind
        assert ran == ["ppm", "head"]
    finally:
        for handle in hooks:
            handle.remove()


def test_the_preview_comes_first_and_the_full_labels_are_unchanged(segmenter, monkeypatch):
    image = block_image(90, 120, 2)
    exact = segmenter.segment(image)
    monkeypatch.setattr(fast, "PREVIEW_MIN_PIXELS", 5000)
    monkeypatch.setattr(fast, "PREVIEW_LONG_SIDE", 40)
    seen: list = []
    result = segmenter.segment(image, preview=seen.append)
    assert len(seen) == 1 and seen[0].preview and not result.preview
    assert seen[0].labels.shape == seen[0].confidence.shape == (30, 40) == fast.preview_size(90, 120)
    assert seen[0].class_counts.sum() == 30 * 40
    np.testing.assert_array_equal(result.labels, exact.labels)
    np.testing.assert_array_equal(result.confidence, exact.confidence)
    # the preview is the same logits' upsampling, to the preview's size
    meta, align_corners = segmenter.loaded.meta, segmenter.model.cfg.align_corners
    x = fast.fast_input(image, meta.protocol("fast"), meta.normalization, torch.device("cpu"))
    with torch.inference_mode():
        logits = segmenter.model(x, upsample=False)[0]
    labels, _ = fast.labels_from_logits(logits, tuple(x.shape[2:]), (30, 40), align_corners, np.dtype(np.uint8))
    np.testing.assert_array_equal(seen[0].labels, labels)
    monkeypatch.setattr(fast, "PREVIEW_MIN_PIXELS", 90 * 120)  # at or under the threshold: none
    seen.clear()
    segmenter.segment(image, preview=seen.append)
    assert seen == []


def temporaries(folder):
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


class CancelAfterChecks(threading.Event):
    """An event that turns set after ``checks`` looks at it (a click arriving mid-stage)."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = 0
        self.limit = checks

    def is_set(self) -> bool:
        self.checks += 1
        if self.checks > self.limit:
            self.set()
        return super().is_set()


def test_an_encoder_stops_between_its_blocks_and_leaves_no_file(tmp_path, segmenter):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, (600, 800)).astype(np.uint8)  # incompressible: a PNG of many 64 KB blocks
    result = replace(segmenter.segment(block_image(16, 16, 0)), labels=labels,
                     confidence=np.ones(labels.shape, np.float32))
    paths = writers.output_paths(tmp_path / "photo", ["label"])
    photo, classes = np.zeros(labels.shape + (3,), np.uint8), segmenter.loaded.meta.classes
    whole = CancelAfterChecks(10_000)
    writers.write_outputs(paths, photo, result, classes, "photo.jpg", {}, cancel=whole)
    assert whole.checks > 10  # the header, then every block the encoder wrote
    paths["label"].unlink()
    cancel = CancelAfterChecks(5)
    with pytest.raises(Cancelled):
        writers.write_outputs(paths, photo, result, classes, "photo.jpg", {}, cancel=cancel)
    assert cancel.checks == 6  # stopped at the first check after the click, mid-file
    assert list(tmp_path.iterdir()) == []


def test_cancel_between_outputs_writes_none_of_the_image(tmp_path, segmenter, monkeypatch):
    """Cancelled while the colour image is made: the label PNG already encoded is dropped too."""
    image = block_image(120, 64, 3)
    result = segmenter.segment(image)
    cancel = threading.Event()
    monkeypatch.setattr(writers, "BAND_BYTES", 64 * 3 * 10)  # 10 rows per band
    bands = counting(monkeypatch, writers, "color_image", cancel, at=2)
    paths = writers.output_paths(tmp_path / "photo", writers.OUTPUT_FORMATS)
    with pytest.raises(Cancelled):
        writers.write_outputs(paths, image, result, segmenter.loaded.meta.classes, "photo.jpg", {}, cancel=cancel)
    assert len(bands) == 2 and list(tmp_path.iterdir()) == []


def test_process_one_cancelled_while_writing_leaves_nothing(tmp_path, segmenter, monkeypatch):
    from PIL import Image

    Image.fromarray(block_image(40, 56, 0)).save(tmp_path / "a.png")
    out = tmp_path / "out"
    jobs, _ = plan_jobs([tmp_path / "a.png"], out)
    cancel = threading.Event()
    counting(monkeypatch, writers, "overlay_image", cancel, at=1)
    with pytest.raises(Cancelled):
        process_one(jobs[0], segmenter, out, cancel=cancel)
    assert not out.exists() or [p for p in out.rglob("*") if p.is_file()] == []


def test_a_batch_cancelled_while_writing_records_the_image_as_not_done(tmp_path, segmenter, monkeypatch):
    from PIL import Image

    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        Image.fromarray(block_image(40, 56, i)).save(src / f"img{i}.png")
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    cancel = threading.Event()
    counting(monkeypatch, writers, "overlay_image", cancel, at=1)
    report = run_batch(jobs, segmenter, out, cancel=cancel, io_threads=1)
    assert report.cancelled and [r.status for r in report.records] == ["cancelled", "cancelled"]
    assert not [p for p in out.iterdir() if p.name.startswith("img")] and temporaries(out) == []
    monkeypatch.undo()
    again = run_batch(jobs, segmenter, out)  # the rerun finds nothing in its way
    assert [r.status for r in again.records] == ["ok", "ok"]


def test_decoding_a_photo_stops_at_the_next_block_it_reads(tmp_path):
    from PIL import Image

    from app.engine.imageio import read_image

    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 256, (400, 500, 3)).astype(np.uint8)).save(tmp_path / "noise.jpg", quality=95)
    whole = CancelAfterChecks(10_000)
    expected = read_image(tmp_path / "noise.jpg")
    np.testing.assert_array_equal(read_image(tmp_path / "noise.jpg", cancel=whole), expected)
    assert whole.checks > 5  # the header, then each 64 KB block of the ~600 KB file
    cancel = CancelAfterChecks(3)
    with pytest.raises(Cancelled):
        read_image(tmp_path / "noise.jpg", cancel=cancel)
    assert cancel.checks == 4
