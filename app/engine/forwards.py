"""How one forward pass of the network runs: on which device, in which precision, through
which backend, with the input laid out as the model is.

The protocols (fast, slide, ms, official) are given these forwards by the segmenter
(segmenter.py), which chooses the device and recovers from out-of-memory; here is only
what every forward shares. The backend (torch, onnx: ``app.engine.backend``) answers the
plain forwards it can; the rest run the torch model under autocast.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator

import torch

from app.engine.backend import Backend
from app.model import PPMCapture, PSPNet, build_pspnet

PRECISIONS: dict[str, torch.dtype | None] = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}

CaptureForward = Callable[[torch.Tensor, bool], "tuple[torch.Tensor, PPMCapture | None]"]


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """Mixed precision where it is asked for and the device has it (a CPU runs fp32)."""
    dtype = PRECISIONS[precision]
    if dtype is None or device.type not in ("cuda", "mps"):
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def layout(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Channels-last input on a GPU (where the model is channels-last too), as is elsewhere."""
    return x.contiguous(memory_format=torch.channels_last) if device.type == "cuda" else x


@contextlib.contextmanager
def evaluating(model: PSPNet) -> Iterator[None]:
    """The model in eval mode for the run, back in the mode it was in afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def cpu_twin(model: PSPNet) -> PSPNet:
    """A CPU copy of a GPU model, for the out-of-memory fallback: built fresh and filled
    tensor by tensor, since deep-copying the GPU model would need more GPU memory at the very
    moment there is none."""
    twin = build_pspnet(model.cfg)
    twin.load_state_dict({k: v.detach().to("cpu") for k, v in model.state_dict().items()})
    return twin.eval()


def window_forward(backend: Backend, model: PSPNet, device: torch.device, precision: str,
                   cancel: threading.Event | None, upsample: bool = True) -> Callable[[torch.Tensor], torch.Tensor]:
    """(B, 3, h, w) windows -> (B, C, h, w) logits upsampled to the window, or with
    ``upsample`` False the network's own low-resolution logits (the official protocol
    upsamples them itself, into a buffer it keeps: ``official.WindowSoftmax``)."""
    def forward_windows(x: torch.Tensor) -> torch.Tensor:
        plain = backend.logits(model, x, recurring=True, cancel=cancel)
        if plain is not None:
            return model.upsample_logits(plain, (x.shape[2], x.shape[3])) if upsample else plain
        with autocast(precision, device):
            logits = model(layout(x, device), upsample=upsample)
        return logits.float() if upsample else logits
    return forward_windows


def capture_forward(backend: Backend, model: PSPNet, device: torch.device, precision: str,
                    cancel: threading.Event | None) -> CaptureForward:
    """A whole-image forward: (1, 3, h, w) -> low-resolution logits, and the pyramid pooling
    module's capture when asked for (only the torch model gives one)."""
    def forward(x: torch.Tensor, want: bool) -> tuple[torch.Tensor, PPMCapture | None]:
        plain = None if want else backend.logits(model, x, recurring=False, cancel=cancel)
        if plain is not None:
            return plain, None
        with autocast(precision, device):
            logits, cap = model.forward_with_capture(layout(x, device), upsample=False, capture=want)
        return logits.float(), cap
    return forward
