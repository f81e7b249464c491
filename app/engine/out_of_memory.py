"""Which failures are out-of-memory, and of which memory: the one rule for the engine and the GUI.

- ``"device"``: the accelerator's memory (torch's ``OutOfMemoryError``, or a RuntimeError
  saying "out of memory", as CUDA, HIP and MPS word it). The segmenter recovers from
  these: smaller window batches, then the CPU.
- ``"host"``: the computer's RAM (Python's ``MemoryError``, or torch's CPU allocator
  refusing an allocation). Reported as out of memory too, but never a reason to move
  to the CPU: that needs more host memory, not less.

Torch is not imported here: when it is not loaded, no exception can be one of its own.
"""

from __future__ import annotations

import sys
from typing import Literal

MemoryKind = Literal["device", "host"]

CPU_ALLOCATOR_FAILURE = "DefaultCPUAllocator: can't allocate memory"


def out_of_memory_kind(exc: BaseException) -> MemoryKind | None:
    """``"device"``, ``"host"``, or None when ``exc`` is not an out-of-memory failure."""
    if isinstance(exc, MemoryError):
        return "host"
    torch = sys.modules.get("torch")
    oom_type = getattr(torch, "OutOfMemoryError", None) or getattr(getattr(torch, "cuda", None),
                                                                   "OutOfMemoryError", None)
    if oom_type is not None and isinstance(exc, oom_type):
        return "device"
    if isinstance(exc, RuntimeError):
        text = str(exc)
        if CPU_ALLOCATOR_FAILURE in text:
            return "host"
        if "out of memory" in text.lower():
            return "device"
    return None


def is_device_out_of_memory(exc: BaseException) -> bool:
    """The accelerator ran out of memory (what the segmenter retries on)."""
    return out_of_memory_kind(exc) == "device"
