"""The one out-of-memory rule (app/engine/out_of_memory.py), as the segmenter and the GUI's messages use it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
from app.classes import generic_classes
from app.engine.out_of_memory import is_device_out_of_memory, out_of_memory_kind
from app.engine.segmenter import Segmenter
from app.gui.worker_errors import describe_failure


def cpu_allocator_failure() -> RuntimeError:
    """A real refusal of torch's CPU allocator (100 TB asked for)."""
    try:
        torch.empty(10**14, dtype=torch.uint8)
    except RuntimeError as exc:
        return exc
    pytest.skip("this machine handed out 100 TB")


@pytest.mark.parametrize(("exc", "kind"), [
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "device"),
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), "device"),  # older torch
    (RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)"), "device"),
    (MemoryError(), "host"),
    (RuntimeError("shapes cannot be multiplied"), None),
    (ValueError("out of memory"), None),  # only runtime errors carry the allocator's words
])
def test_kind_of_each_failure(exc, kind):
    assert out_of_memory_kind(exc) == kind
    assert is_device_out_of_memory(exc) == (kind == "device")


def test_torch_cpu_allocator_failure_is_host_memory():
    assert out_of_memory_kind(cpu_allocator_failure()) == "host"


def test_messages_name_the_memory_that_ran_out():
    gpu = describe_failure(torch.OutOfMemoryError("CUDA out of memory"), "Segmenting a.jpg failed", (600, 800))
    assert gpu.startswith("Segmenting a.jpg failed: out of the GPU (800x600 pixels).") and "fp16" in gpu
    host = describe_failure(MemoryError(), "Segmenting a.jpg failed", (600, 800))
    assert host.startswith("Segmenting a.jpg failed: out of memory (800x600 pixels).")
    assert describe_failure(cpu_allocator_failure(), "Segmenting a.jpg failed").startswith(
        "Segmenting a.jpg failed: out of memory.")


@pytest.fixture
def gpu_segmenter(monkeypatch, tiny_config):
    """A segmenter that believes it is on a GPU; each run raises the next queued failure."""
    torch.manual_seed(0)
    from app.model import build_pspnet

    loaded = LoadedModel(build_pspnet(tiny_config).eval(),
                         ModelMeta("native", tiny_config, generic_classes(tiny_config.num_classes)))
    seg = Segmenter(loaded, "cpu")
    failures: list[BaseException] = []
    devices: list[str] = []
    real_run = Segmenter._run

    def run(self, image, settings, capture, cancel, progress, device, window_batch, *rest):
        devices.append(device.type)
        if device.type == "cuda":
            raise failures.pop(0)
        return real_run(self, image, settings, capture, cancel, progress, device, window_batch, *rest)

    monkeypatch.setattr(Segmenter, "_run", run)
    seg.device = torch.device("cuda")
    return seg, failures, devices


def test_the_gpu_running_out_moves_the_image_to_the_cpu(gpu_segmenter):
    seg, failures, devices = gpu_segmenter
    failures.append(torch.OutOfMemoryError("CUDA out of memory"))
    result = seg.segment(np.zeros((40, 48, 3), np.uint8), ProtocolSettings(base_size=48))
    assert devices == ["cuda", "cpu"] and result.device == "cpu"


@pytest.mark.parametrize("host_failure", [MemoryError, cpu_allocator_failure])
def test_host_memory_running_out_is_raised_not_retried_on_the_cpu(gpu_segmenter, host_failure):
    """The CPU would need more host memory, not less: the failure is the user's to see."""
    seg, failures, devices = gpu_segmenter
    failure = host_failure()
    failures.append(failure)
    with pytest.raises(type(failure)):
        seg.segment(np.zeros((40, 48, 3), np.uint8), ProtocolSettings(base_size=48))
    assert devices == ["cuda"]
