"""Windows of several images in one forward (``Segmenter.segment_many``): the same labels as
each image alone, forwards that really mix images, cancel, out-of-memory, and the batch
loop and CLI option that use it."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch
from PIL import Image

from app.checkpoints.meta import ProtocolSettings
from app.cli import main
from app.engine.batch import plan_jobs, run_batch
from app.engine.fast import fast_input_size
from app.engine.official import plan_scales
from app.engine.result import Cancelled
from app.engine.segmenter import Segmenter
from app.engine.slide import slide_windows
from tests.engine_fixtures import block_image, save_block_photo, varied_loaded
from tests.helpers import save_tiny_weights
from tests.unit.tiny_layouts import tiny_published

OOM = getattr(torch, "OutOfMemoryError", RuntimeError)
# different sizes and shapes; the last is smaller than the crop at every scale
PHOTOS = [block_image(48, 64, 1), block_image(70, 40, 2), block_image(36, 36, 3), block_image(20, 25, 4)]


def forward_sizes(monkeypatch) -> list[int]:
    """The batch size of every window forward the segmenters run from now on."""
    sizes: list[int] = []
    real = Segmenter._window_forward

    def counting(self, model, device, cancel, **options):
        forward = real(self, model, device, cancel, **options)

        def counted(x: torch.Tensor) -> torch.Tensor:
            sizes.append(int(x.shape[0]))
            return forward(x)
        return counted

    monkeypatch.setattr(Segmenter, "_window_forward", counting)
    return sizes


def assert_same_results(together, alone) -> None:
    assert len(together) == len(alone)
    for many, one in zip(together, alone):
        assert np.array_equal(many.labels, one.labels)
        # the same window maths; only the convolutions' float rounding differs with the batch
        np.testing.assert_allclose(many.confidence, one.confidence, rtol=0, atol=1e-5)
        assert np.array_equal(many.class_counts, one.class_counts)
        assert many.protocol == one.protocol and many.activations is None


def official_windows(image: np.ndarray, settings: ProtocolSettings) -> list[int]:
    return [len(p.windows) for p in plan_scales(image.shape[0], image.shape[1], settings)]


def test_official_with_flip_at_two_scales_equals_each_image_alone(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu", window_batch=3)
    settings = ProtocolSettings("official", base_size=40, crop_size=33, scales=(0.75, 1.0), flip=True)
    per_image = [official_windows(p, settings) for p in PHOTOS]
    assert per_image == [[1, 2], [1, 2], [1, 4], [1, 2]]
    alone = [seg.segment(p, settings) for p in PHOTOS]
    sizes = forward_sizes(monkeypatch)
    together = seg.segment_many(PHOTOS, settings)
    assert_same_results(together, alone)
    assert len({r.labels.tobytes() for r in together[:2]}) == 2 and len(together[0].present_classes()) >= 2
    # 14 windows in forwards of 3 (doubled by flip), whichever image or scale they come from:
    # the first forward mixes the first two images, the third image's 5 windows span two forwards
    assert sizes == [6, 6, 6, 6, 4]
    assert len(sizes) < sum(math.ceil(w / 3) for windows in per_image for w in windows)


def test_every_forward_holds_windows_of_several_images(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu", window_batch=8)
    settings = ProtocolSettings("official", base_size=30, crop_size=33, flip=False)
    photos = [block_image(24 + 2 * i, 30, i) for i in range(10)]
    assert all(official_windows(p, settings) == [1] for p in photos)  # one window each
    alone = [seg.segment(p, settings) for p in photos]
    sizes = forward_sizes(monkeypatch)
    assert_same_results(seg.segment_many(photos, settings), alone)
    assert sizes == [8, 2]  # one image alone would be forwards of 1


def test_semseg_multi_scale_equals_each_image_alone(tmp_path, monkeypatch):
    loaded = tiny_published("semseg", tmp_path)
    settings = loaded.meta.protocol("ms").with_overrides(base_size=40, crop_size=33)
    assert settings.style == "semseg" and len(settings.scales) == 6 and settings.flip
    seg = Segmenter(loaded, "cpu", window_batch=4)
    photos = PHOTOS[:3]
    alone = [seg.segment(p, settings) for p in photos]
    sizes = forward_sizes(monkeypatch)
    assert_same_results(seg.segment_many(photos, settings), alone)
    total = sum(sum(official_windows(p, settings)) for p in photos)
    assert sum(sizes) == 2 * total and sizes[:-1] == [8] * (len(sizes) - 1)


def test_slide_equals_each_image_alone_and_never_mixes_window_shapes(tmp_path, monkeypatch):
    loaded = tiny_published("mmseg", tmp_path)
    settings = loaded.meta.protocol("slide").with_overrides(base_size=40, max_long=80, crop_size=32, stride=20)
    photos = [block_image(50, 80, 5), block_image(60, 75, 6), block_image(30, 90, 7)]
    shapes = []
    for p in photos:
        windows = slide_windows(*fast_input_size(p.shape[0], p.shape[1], settings), settings)
        shapes.append({(y2 - y1, x2 - x1) for y1, y2, x1, x2 in windows})
    assert shapes == [{(32, 32)}, {(32, 32)}, {(27, 32)}]  # the third's short side is under the crop
    seg = Segmenter(loaded, "cpu", window_batch=4)
    alone = [seg.segment(p, settings) for p in photos]
    progress: list[tuple[int, int]] = []
    sizes = forward_sizes(monkeypatch)
    together = seg.segment_many(photos, settings, progress=lambda d, t: progress.append((d, t)))
    assert_same_results(together, alone)
    counts = [len(slide_windows(*fast_input_size(p.shape[0], p.shape[1], settings), settings)) for p in photos]
    assert sum(sizes) == sum(counts) and progress[-1] == (sum(counts), sum(counts))
    assert counts == [6, 4, 4]
    # the second forward takes the first image's last 2 windows and the second's first 2; the
    # third image's 27 x 32 windows never join the 32 x 32 ones, so the third forward is short
    assert sizes == [4, 4, 2, 4]


def test_cancel_between_forwards_of_a_group_raises_cancelled(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu", window_batch=2)
    settings = ProtocolSettings("official", base_size=60, crop_size=33, scales=(0.75, 1.0), flip=True)
    cancel = threading.Event()
    sizes = forward_sizes(monkeypatch)
    with pytest.raises(Cancelled):
        seg.segment_many(PHOTOS, settings, cancel=cancel, progress=lambda done, total: cancel.set())
    assert sizes == [4]  # stopped after the first forward
    cancel.clear()
    assert len(seg.segment_many(PHOTOS[:2], settings, cancel=cancel)) == 2  # the segmenter is usable again


def test_out_of_memory_segments_the_group_one_image_at_a_time(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu", window_batch=4)
    settings = ProtocolSettings("official", base_size=60, crop_size=33, flip=True)
    alone = [seg.segment(p, settings) for p in PHOTOS[:2]]
    real_run = Segmenter._run

    def run_on_the_cpu(self, image, settings, capture, cancel, progress, device, *rest):
        return real_run(self, image, settings, capture, cancel, progress, torch.device("cpu"), *rest)

    def out_of_memory(*_args):
        raise OOM("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(Segmenter, "_run", run_on_the_cpu)
    monkeypatch.setattr(Segmenter, "_run_many", out_of_memory)
    seg.device = torch.device("cuda")  # a pretend GPU whose grouped forwards do not fit
    together = seg.segment_many(PHOTOS[:2], settings)
    assert_same_results(together, alone)
    assert all("segmented one at a time" in r.notes[0] for r in together)
    seg.device = torch.device("cpu")  # on the CPU out-of-memory is not recovered from
    with pytest.raises(OOM):
        seg.segment_many(PHOTOS[:2], settings)


def test_other_protocols_segment_each_image_alone(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu")
    fast = ProtocolSettings("fast", base_size=48)
    assert not seg.groups_images(fast) and seg.groups_images(ProtocolSettings("official"))
    calls = []
    real = Segmenter.segment
    monkeypatch.setattr(Segmenter, "segment", lambda self, image, *a, **k: calls.append(1) or real(self, image, *a, **k))
    results = seg.segment_many(PHOTOS[:3], fast)
    assert len(calls) == 3 and [r.labels.shape for r in results] == [p.shape[:2] for p in PHOTOS[:3]]
    with pytest.raises(ValueError, match="uint8"):
        seg.segment_many([PHOTOS[0], PHOTOS[1].astype(np.float32)], ProtocolSettings("official"))


# --- the batch loop and the CLI ----------------------------------------------------------

def label_files(out) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.png")) if not p.name.endswith("_color.png")}


def photo_folder(folder, count: int = 5):
    for i in range(count):
        save_block_photo(folder / f"p{i}.png", h=30 + 6 * i, w=44 - 3 * i, seed=i)
    return folder


def test_run_batch_in_groups_writes_the_same_labels_and_a_bad_file_fails_alone(tmp_path, monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu", window_batch=4)
    settings = ProtocolSettings("official", base_size=40, crop_size=33, scales=(0.75, 1.0), flip=True)
    src = photo_folder(tmp_path / "in")
    (src / "p2b.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")  # sorted into a group with p3 and p4
    runs = {}
    for per_forward in (1, 3):
        out = tmp_path / f"out{per_forward}"
        jobs, _ = plan_jobs([src], out)
        sizes = forward_sizes(monkeypatch)
        report = run_batch(jobs, seg, out, ("label", "json"), settings, images_per_forward=per_forward)
        monkeypatch.undo()
        statuses = {r.input.rsplit("/", 1)[-1]: r.status for r in report.records}
        assert statuses == {"p0.png": "ok", "p1.png": "ok", "p2.png": "ok", "p2b.png": "failed",
                            "p3.png": "ok", "p4.png": "ok"}
        runs[per_forward] = (label_files(out), len(sizes))
    assert runs[1][0] == runs[3][0] and len(runs[1][0]) == 5
    assert runs[3][1] < runs[1][1]  # the grouped run needed fewer forwards


def test_run_batch_group_that_raises_falls_back_to_each_image(tmp_path, monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu", window_batch=4)
    settings = ProtocolSettings("official", base_size=40, crop_size=33, flip=False)
    src = photo_folder(tmp_path / "in", 4)
    real = Segmenter.segment

    def broken_on_p1(self, image, settings=None, *args, **kwargs):
        if image.shape[:2] == (36, 41):  # p1's size
            raise RuntimeError("this image breaks the network")
        return real(self, image, settings, *args, **kwargs)

    def group_breaks(*_args, **_kwargs):
        raise RuntimeError("this image breaks the network")

    monkeypatch.setattr(Segmenter, "segment", broken_on_p1)
    monkeypatch.setattr(Segmenter, "segment_many", group_breaks)
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    report = run_batch(jobs, seg, out, ("label",), settings, images_per_forward=4)
    assert [r.status for r in report.records] == ["ok", "failed", "ok", "ok"]
    assert "breaks the network" in report.records[1].error and len(label_files(out)) == 3


def test_run_batch_cancel_in_a_group_writes_nothing_of_it(tmp_path, monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu", window_batch=2)
    settings = ProtocolSettings("official", base_size=40, crop_size=33, flip=True)
    src = photo_folder(tmp_path / "in", 4)
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    cancel = threading.Event()
    groups = []
    real = Segmenter.segment_many

    def cancelled_in_the_second_group(self, images, settings=None, cancel=None, progress=None):
        groups.append(len(images))
        stop = (lambda done, total: cancel.set()) if len(groups) == 2 else None
        return real(self, images, settings, cancel=cancel, progress=stop)

    monkeypatch.setattr(Segmenter, "segment_many", cancelled_in_the_second_group)
    report = run_batch(jobs, seg, out, ("label", "json"), settings, cancel=cancel, images_per_forward=2)
    assert groups == [2, 2]
    statuses = [r.status for r in report.records]
    # the second group is dropped; the first group's writes may be cut short by the cancel too
    assert report.cancelled and statuses[2:] == ["cancelled", "cancelled"] and statuses[0] in ("ok", "cancelled")
    written = label_files(out)
    assert sorted(written) == [f"p{i}.png" for i, status in enumerate(statuses) if status == "ok"]
    assert not list(out.glob(".*tmp"))
    monkeypatch.undo()  # resuming in groups: the images done are skipped, the rest are written
    again = run_batch(jobs, seg, out, ("label", "json"), settings, images_per_forward=3)
    assert [r.status for r in again.records] == ["skipped" if s == "ok" else "ok" for s in statuses]
    assert {k: v for k, v in label_files(out).items() if k in written} == written and len(label_files(out)) == 4


def test_cli_images_per_forward(tmp_path, capsys):
    weights = save_tiny_weights(tmp_path / "w")
    src = photo_folder(tmp_path / "in", 3)
    outputs = {}
    for flag in ([], ["--images-per-forward", "3"]):
        out = tmp_path / f"out{len(flag)}"
        code = main(["segment", str(src), "--out", str(out), "--weights", str(weights), "--protocol", "official",
                     "--formats", "label", *flag])
        err = capsys.readouterr().err
        assert code == 0, err
        assert ("3 images per forward" in err) == bool(flag)
        outputs[len(flag)] = label_files(out)
    assert outputs[0] == outputs[2] and len(outputs[0]) == 3
    assert main(["segment", str(src), "--out", str(tmp_path / "f"), "--weights", str(weights),
                 "--images-per-forward", "2"]) == 0
    assert "for the window protocols; protocol fast segments one image at a time" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["segment", str(src), "--out", str(tmp_path / "z"), "--images-per-forward", "0"])
    assert exit_info.value.code == 2 and "between 1 and 64" in capsys.readouterr().err
    assert main(["segment", str(src), "--out", str(tmp_path / "r"), "--weights", str(weights),
                 "--engine", "ray", "--images-per-forward", "2"]) == 2
    assert "--engine local" in capsys.readouterr().err
    with Image.open(tmp_path / "out0" / "p0.png") as label:
        assert label.size == (44, 30)


def test_cli_window_batch(tmp_path, capsys, monkeypatch):
    weights = save_tiny_weights(tmp_path / "w")
    src = photo_folder(tmp_path / "in", 2)
    made: list[int] = []
    original = Segmenter.__init__

    def recording(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self.window_batch)

    monkeypatch.setattr(Segmenter, "__init__", recording)
    outputs = {}
    for flag in ([], ["--window-batch", "3"]):
        out = tmp_path / f"out{len(flag)}"
        code = main(["segment", str(src), "--out", str(out), "--weights", str(weights), "--protocol", "official",
                     "--device", "cpu", "--formats", "label", *flag])
        assert code == 0, capsys.readouterr().err
        outputs[len(flag)] = label_files(out)
    assert made == [1, 3]  # the CPU default, then the option
    assert outputs[0] == outputs[2] and len(outputs[0]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["segment", str(src), "--out", str(tmp_path / "z"), "--window-batch", "0"])
    assert exit_info.value.code == 2 and "between 1 and 256" in capsys.readouterr().err


def test_ray_worker_takes_the_window_batch(tmp_path):
    from app.cluster.ray_worker import SegmentWorker

    worker = SegmentWorker(str(save_tiny_weights(tmp_path / "w")), "cpu", window_batch=5)
    assert worker.segmenter.window_batch == 5
