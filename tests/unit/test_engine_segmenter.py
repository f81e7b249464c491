"""Segmenter policies: out-of-memory recovery, training-mode safety."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.checkpoints.meta import ProtocolSettings
from app.engine.segmenter import Segmenter
from tests.engine_fixtures import block_image, varied_loaded

OOM = getattr(torch, "OutOfMemoryError", RuntimeError)


def pretend_gpu_that_runs_out(monkeypatch, seg: Segmenter, fail_batches_above: int) -> list:
    """Make ``seg`` believe it is on a GPU whose runs fail above a window batch size."""
    calls: list = []
    real_run = Segmenter._run

    def run(self, image, settings, capture, cancel, progress, device, window_batch, *rest):
        calls.append((device.type, window_batch))
        if device.type == "cuda":
            if settings.name == "fast" or window_batch > fail_batches_above:
                raise OOM("CUDA out of memory. Tried to allocate 2.00 GiB")
            device = torch.device("cpu")  # the "GPU" run that fits
        return real_run(self, image, settings, capture, cancel, progress, device, window_batch, *rest)

    monkeypatch.setattr(Segmenter, "_run", run)
    seg.device = torch.device("cuda")
    seg.window_batch = 4
    return calls


def test_out_of_memory_halves_the_window_batch_then_succeeds(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu")
    calls = pretend_gpu_that_runs_out(monkeypatch, seg, fail_batches_above=1)
    settings = ProtocolSettings("official", base_size=48, crop_size=33)
    result = seg.segment(block_image(30, 40, 0), settings)
    assert calls == [("cuda", 4), ("cuda", 2), ("cuda", 1)]
    assert result.notes == ["GPU out of memory: retried with 2 window(s) per batch",
                            "GPU out of memory: retried with 1 window(s) per batch"]


def test_out_of_memory_falls_back_to_the_cpu(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu")
    calls = pretend_gpu_that_runs_out(monkeypatch, seg, fail_batches_above=0)
    image = block_image(30, 40, 0)
    result = seg.segment(image, ProtocolSettings(base_size=48))
    assert calls == [("cuda", 4), ("cpu", 4)]
    assert result.device == "cpu" and "segmented on the CPU" in result.notes[0]
    monkeypatch.undo()
    expected = Segmenter(varied_loaded(), "cpu").segment(image, ProtocolSettings(base_size=48))
    assert np.array_equal(result.labels, expected.labels)


def test_other_errors_are_not_swallowed(monkeypatch):
    seg = Segmenter(varied_loaded(), "cpu")

    def broken(*_args, **_kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(Segmenter, "_run", broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        seg.segment(block_image(10, 10, 0))


def test_a_model_in_training_mode_is_used_in_eval_mode_and_restored():
    loaded = varied_loaded()
    seg = Segmenter(loaded, "cpu")
    image = block_image(30, 40, 0)
    expected = seg.segment(image).labels
    loaded.model.train()
    assert np.array_equal(seg.segment(image).labels, expected)  # no dropout, running BN stats
    assert loaded.model.training
