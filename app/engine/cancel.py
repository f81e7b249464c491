"""Stopping one image early: the engine's cancel checks.

A cancel is a ``threading.Event`` set from another thread (the window's Cancel, a
new image, Ctrl+C). The engine looks at it at every unit of work that takes well
under a second on a big photo: each strip of the input resize, each block of the
network (forward pre-hooks), each window batch, each strip of the upsampling and
argmax, each band of the colour and overlay outputs and each block an encoder
writes. A set event raises ``Cancelled``; nothing of the image is written.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterable, Iterator

from app.engine.result import Cancelled


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise ``Cancelled`` when ``cancel`` is set (None: never cancelled)."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def interrupt_hooks(model: Any, current_event: Callable[[], threading.Event | None]) -> list[Any]:
    """Forward pre-hooks on every backbone block, the PPM and the head of ``model``.

    Each raises ``Cancelled`` when ``current_event()`` is set, so even a single
    whole-image pass stops within one block. Returns the hook handles
    (``.remove()`` them when done).
    """
    if model is None or not hasattr(model, "register_forward_pre_hook"):
        return []

    def check(_module: Any, _inputs: Any) -> None:
        check_cancel(current_event())

    targets = []
    backbone = getattr(model, "backbone", None)
    if backbone is not None:
        for child in backbone.children():
            blocks = list(child.children())
            if type(child).__name__ == "Sequential" and blocks:
                targets.extend(blocks)
            else:
                targets.append(child)
    targets += [m for m in (getattr(model, "ppm", None), getattr(model, "head", None)) if m is not None]
    return [m.register_forward_pre_hook(check) for m in targets]


@contextlib.contextmanager
def interruptible(model: Any, cancel: threading.Event | None) -> Iterator[None]:
    """Within the block, every forward of ``model`` checks ``cancel`` between blocks."""
    handles = interrupt_hooks(model, lambda: cancel) if cancel is not None else []
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def backward_checks(modules: Iterable[Any], cancel: threading.Event | None) -> Iterator[None]:
    """Within the block, as a backward pass reaches the output of any of ``modules``, ``cancel``
    is checked (a tensor hook put on the output by a forward hook), so the backward stops
    with ``Cancelled`` before it goes through the module."""
    if cancel is None:
        yield
        return

    def watch_output(_module: Any, _inputs: Any, output: Any) -> None:
        if getattr(output, "requires_grad", False):  # a tensor the backward will reach
            output.register_hook(lambda _grad: check_cancel(cancel))  # None: the gradient passes unchanged

    handles = [module.register_forward_hook(watch_output) for module in modules]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def interruptible_passes(model: Any, cancel: threading.Event | None) -> Iterator[None]:
    """``interruptible``, and for the backward passes too: as a gradient reaches the output
    of the backbone's stem or of any of its blocks, ``cancel`` is checked (``backward_checks``),
    so a field or Grad-CAM's backward stops within one block."""
    if cancel is None:
        yield
        return
    backbone = model.backbone
    blocks = [backbone.stem, *(block for name in ("layer1", "layer2", "layer3", "layer4")
                               for block in getattr(backbone, name))]
    with backward_checks(blocks, cancel), interruptible(model, cancel):
        yield
