"""The small-field network the receptive-field and stage Grad-CAM tests share.

A ResNet-18 whose backbone field (311 px) is narrower than a 321 px input, so the tests
can check that gradients stop at the analytic field's edge. Also the cancel tests' probes:
which blocks a forward or a backward pass reached, and how many hooks the model holds.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

import torch

from app.engine.ppm_analysis import capture_geometry
from app.engine.ppm_geometry import CaptureGeometry
from app.model import PPMCapture, PSPNet, PSPNetConfig, build_pspnet
from tests.helpers import lively

# photo 50x300 resized to a 57x321 network input (align_corners: (57 - 1) / 8 + 1 = 8 cells)
PHOTO, INPUT = (50, 300), (57, 321)


def small_field_config(align_corners: bool, **extra) -> PSPNetConfig:
    """A ResNet-18 whose backbone field (311 px) is narrower than the 321 px input."""
    return PSPNetConfig(num_classes=5, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                        ppm_channels=8, head_channels=16, align_corners=align_corners,
                        contract_dilation=True, basic_conv2_dilation="none", **extra)


def small_field_case(align_corners: bool, photo: tuple[int, int] = PHOTO, size: tuple[int, int] = INPUT
                     ) -> tuple[PSPNet, torch.Tensor, CaptureGeometry, torch.Tensor]:
    """(model, network input, geometry, low-resolution logits) of a seeded small-field network."""
    model, network_input, geometry, low, _ = small_field_capture(align_corners, photo, size)
    return model, network_input, geometry, low


def small_field_capture(align_corners: bool, photo: tuple[int, int] = PHOTO, size: tuple[int, int] = INPUT
                        ) -> tuple[PSPNet, torch.Tensor, CaptureGeometry, torch.Tensor, PPMCapture]:
    """``small_field_case`` and the PPM capture of its pass (what the head-only jobs run on)."""
    torch.manual_seed(0)
    model = lively(build_pspnet(small_field_config(align_corners)))
    network_input = torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        low, capture = model.forward_with_capture(network_input, upsample=False)
    assert capture is not None
    return model, network_input, capture_geometry(capture, photo, size, align_corners), low, capture


def gradients_reaching(module: torch.nn.Module, counts: list[str], name: str,
                       on_grad: Callable[[], None] | None = None) -> torch.utils.hooks.RemovableHandle:
    """Each time a backward pass reaches ``module``'s output, ``name`` is appended to ``counts``
    (and ``on_grad`` is called: a test's way to cancel in the middle of the pass)."""
    def forward_hook(_module, _inputs, output):
        def seen(_grad):
            counts.append(name)
            if on_grad is not None:
                on_grad()
        output.register_hook(seen)
    return module.register_forward_hook(forward_hook)


def hook_counts(model: torch.nn.Module) -> int:
    """Forward and forward pre-hooks on all of ``model``'s modules (a cancel must leave none behind)."""
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


@contextlib.contextmanager
def hooked(*handles: torch.utils.hooks.RemovableHandle) -> Iterator[None]:
    """The hooks ``handles`` for the block's duration: removed after it, even when it raises."""
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
