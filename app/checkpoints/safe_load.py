"""Read a PyTorch file without ever running code from it.

``torch.load(weights_only=True)`` only rebuilds tensors and plain containers; a file
whose pickle names any other Python object is refused before that object exists,
so a hostile file cannot act (tests/unit/test_checkpoint_safety.py proves it).
"""

from __future__ import annotations

import io
import pickle
import pickletools
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from app.checkpoints.errors import CheckpointError, summarize_keys
from app.engine.file_kinds import FileTooLargeError, NotRegularFileError, read_regular_bytes

# The only extra types allowed: NumPy scalars (and the dtypes they are built from).
# mmcv/mmengine write Python and NumPy numbers into checkpoint meta (e.g. an
# evaluation hook's best score); rebuilding a NumPy scalar is just "dtype + raw
# bytes" and calls nothing else. Everything else (mmengine's MessageHub, config
# objects, arbitrary classes) stays refused. Scoped with safe_globals, never
# registered process-wide.
_NUMBER_DTYPES = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                  np.uint32, np.uint64, np.float16, np.float32, np.float64)
_ALLOWED_GLOBALS: list[Any] = [np.dtype, *(type(np.dtype(t)) for t in _NUMBER_DTYPES)]
try:  # NumPy 2 moved the scalar reconstructor; both names refer to one function
    from numpy._core.multiarray import scalar as _np_scalar
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import scalar as _np_scalar  # type: ignore[no-redef]
_ALLOWED_GLOBALS.append(_np_scalar)

_GLOBAL_IN_MESSAGE = re.compile(r"GLOBAL ([\w.]+)|got <class '([\w.]+)'>")


def check_is_file(path: Path, expected: str) -> None:
    """Refuse missing paths, folders and empty files with one clear sentence."""
    if not path.exists():
        raise CheckpointError(path, f"the file does not exist (expected {expected}).")
    if not path.is_file():
        raise CheckpointError(path, f"this is not a file (expected {expected}).")
    if path.stat().st_size == 0:
        raise CheckpointError(path, f"the file is empty (expected {expected}).")


def read_regular_file(path: Path, limit: int, expected: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or a CheckpointError;
    a FIFO or a device under the expected name fails at once instead of hanging."""
    try:
        return read_regular_bytes(path, limit)
    except FileNotFoundError:
        raise CheckpointError(path, f"the file does not exist (expected {expected}).") from None
    except NotRegularFileError as exc:
        raise CheckpointError(path, f"this is {exc.kind}, not a regular file (expected {expected}).") from None
    except FileTooLargeError as exc:
        raise CheckpointError(path, f"the file is {exc.size / 2**20:.1f} MB, more than the "
                              f"{limit / 2**20:.0f} MB {expected} can be.") from None
    except OSError as exc:
        raise CheckpointError(path, f"the file cannot be read ({exc.strerror or exc}).") from None


def read_torch_file(path: str | Path) -> Any:
    """The unpickled contents of a ``.pth``/``.pt`` file, tensors on the CPU."""
    path = Path(path)
    check_is_file(path, "a PyTorch checkpoint (.pth)")
    try:
        with torch.serialization.safe_globals(_ALLOWED_GLOBALS):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        names = _unsafe_globals(path, str(exc))
        if names:
            what = f" ({summarize_keys(names, 5)})" if names else ""
            raise CheckpointError(
                path, "the file needs arbitrary Python objects to be unpickled"
                f"{what}, which could run code, so it is refused. Only tensors and plain "
                "data are read. If you trust the file, re-save just its weights, e.g. "
                "torch.save({'state_dict': ckpt['state_dict'], 'meta': {...}}, 'clean.pth').") from None
        raise CheckpointError(path, "the file is not a PyTorch checkpoint: its contents could "
                              f"not be read as one ({_short_reason(str(exc))}).") from None
    except (EOFError, zipfile.BadZipFile) as exc:
        raise CheckpointError(path, "the file ends too early: it is truncated or not a "
                              f"PyTorch checkpoint ({type(exc).__name__}).") from None
    except RuntimeError as exc:
        text = str(exc).split(".")[0]
        raise CheckpointError(path, "the file is corrupt, truncated or not a PyTorch "
                              f"checkpoint ({text}).") from None
    except Exception as exc:  # noqa: BLE001 - any other failure of a foreign file is bad input
        raise CheckpointError(path, "the file is not a PyTorch checkpoint: its contents "
                              f"could not be read as one ({type(exc).__name__}).") from None


def _short_reason(message: str) -> str:
    """The unpickler's own one-line reason, without torch's advice on weights_only=False."""
    inner = message.split("WeightsUnpickler error:", 1)[-1].split("Check the documentation")[0]
    return " ".join(inner.split())[:200] or "unreadable pickle"


def _unsafe_globals(path: Path, message: str) -> list[str]:
    """Names of the Python objects the file asks for, found without unpickling them."""
    try:
        names = list(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:  # noqa: BLE001 - only zip checkpoints can be scanned
        names = []
    if not names:
        names = [a or b for a, b in _GLOBAL_IN_MESSAGE.findall(message)]
    if not names:
        names = _globals_in_plain_pickle(path)
    allowed = {f"{g.__module__}.{g.__qualname__}" for g in _ALLOWED_GLOBALS}
    return [n for n in dict.fromkeys(names) if n not in allowed]


def _globals_in_plain_pickle(path: Path, limit: int = 16 * 2**20) -> list[str]:
    """Objects a plain (non-torch) pickle names, read from its opcodes, never executed."""
    names: list[str] = []
    strings: list[str] = []
    try:
        with path.open("rb") as f:
            data = f.read(limit)
        for opcode, arg, _ in pickletools.genops(io.BytesIO(data)):
            if opcode.name == "GLOBAL" and isinstance(arg, str):
                names.append(arg.replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
    except Exception:  # noqa: BLE001 - not a pickle, or cut short: whatever was seen counts
        pass
    return names
