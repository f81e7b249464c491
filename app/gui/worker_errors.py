"""Turning worker failures into messages, and making a forward pass interruptible.

Runs in the worker thread only (it imports torch lazily).
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import TYPE_CHECKING, Callable

from app.engine.out_of_memory import out_of_memory_kind

if TYPE_CHECKING:  # annotations only: torch loads in the worker thread
    from torch.utils.hooks import RemovableHandle

    from app.engine.segmenter import Segmenter

OOM_ADVICE = ("Try the fast protocol, a smaller image, fp16 precision, or the CPU "
              "(Model > Device).")


def backend_refusal(device: str) -> str:
    """Why the ONNX Runtime choice runs on PyTorch instead (the Backend refused it)."""
    if not device.startswith("cpu"):
        return (f"ONNX Runtime runs on the CPU only, and the model is on {device}: PyTorch runs it. "
                "Choose Model > Device > cpu to use ONNX Runtime, or Model > Backend > Automatic.")
    from app.engine.onnx_backend import missing_packages

    missing = missing_packages() or ["onnxruntime"]
    return (f"ONNX Runtime cannot run here: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            f"not installed (pip install {' '.join(missing)}). PyTorch runs the model.")


def is_cancellation(exc: BaseException) -> bool:
    return type(exc).__name__ == "Cancelled"


def describe_failure(exc: BaseException, context: str, image_shape: tuple[int, ...] | None = None) -> str:
    """One user-facing paragraph; the traceback goes to stderr only for unexpected errors."""
    memory = out_of_memory_kind(exc)
    if memory is not None:
        size = f" ({image_shape[1]}x{image_shape[0]} pixels)" if image_shape else ""
        where = "the GPU" if memory == "device" else "memory"
        return f"{context}: out of {where}{size}. {OOM_ADVICE}"
    # The project's own errors (CheckpointError, ImageReadError) are ValueErrors whose
    # text is already written for users: show it as it is.
    if isinstance(exc, (ValueError, FileNotFoundError, PermissionError, IsADirectoryError)):
        message = str(exc).strip() or type(exc).__name__
        return message if _names_context(message, context) else f"{context}: {message}"
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return f"{context}: {type(exc).__name__}: {exc}"


def _names_context(message: str, context: str) -> bool:
    # Messages from the engine already name the file; avoid saying it twice.
    tail = context.rsplit(" ", 1)[-1]
    return len(tail) > 3 and tail in message


def install_cancel_hooks(segmenter: Segmenter,
                         current_event: Callable[[], threading.Event | None]) -> list[RemovableHandle]:
    """Forward pre-hooks on every backbone block, the PPM and the head.

    Each raises the engine's ``Cancelled`` when the current request's event is set,
    so closing the window or moving on stops a pass within one block. Returns
    the hook handles (``.remove()`` them when the model is replaced).
    """
    from app.engine.cancel import interrupt_hooks

    return interrupt_hooks(segmenter.model, current_event)
