"""What names a cached ONNX graph: a digest of the model's weights and config, the input
shape, and the versions of what made the graph (``graph_key``).

The digest hashes every state-dict tensor: 196 MB for PSPNet-50, about 0.1 s of sha256 on
two cores. ``WeightDigests.start`` makes it in a thread of its own as soon as a segmenter
is made (hashlib lets go of the GIL while it hashes), while the run's ledger is written
and the photo read and resized; the first key then waits for it. A weight replaced or
written in place meanwhile changes the model's stamp, and the digest is made again.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import threading

import torch

OPSET = 18
REQUIRED = ("onnxruntime", "onnx", "onnxscript")  # running the graphs; exporting them

Stamp = tuple[tuple[int, int], ...]


def weights_digest(model: torch.nn.Module) -> str:
    """sha256 of every state-dict tensor (name, dtype, shape, bytes) and the model's config."""
    digest = hashlib.sha256(repr(getattr(model, "cfg", type(model).__name__)).encode())
    for name, tensor in model.state_dict().items():
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(f"|{name}|{flat.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(memoryview(flat.view(torch.uint8).numpy()))
    return digest.hexdigest()


def weights_stamp(model: torch.nn.Module) -> Stamp:
    """Changes whenever a weight is replaced or written in place (cheap: no data read)."""
    return tuple((t.data_ptr(), t._version) for t in model.state_dict().values())


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """The versions a graph depends on, read from the installed metadata: importing onnx and
    onnxscript takes seconds, and only an export needs them."""
    found = {"torch": torch.__version__, "opset": str(OPSET)}
    for name in REQUIRED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "none"
    return found


def graph_key(digest: str, shape: tuple[int, ...]) -> str:
    """32 hex digits naming the graph of weights ``digest`` at input ``shape``."""
    text = json.dumps({"weights": digest, "shape": list(shape), **versions()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class WeightDigests:
    """The weights digest of each model a cache has seen, made again when its stamp changes."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Stamp, str]] = {}
        self._pending: dict[int, tuple[Stamp, threading.Thread, list[str]]] = {}

    def start(self, model: torch.nn.Module) -> None:
        """Begin the digest of ``model`` in a background thread (``digest`` waits for it)."""
        stamp = weights_stamp(model)
        known = self._known.get(id(model))
        if (known is not None and known[0] == stamp) or id(model) in self._pending:
            return
        made: list[str] = []
        thread = threading.Thread(target=lambda: made.append(weights_digest(model)), name="onnx-digest",
                                  daemon=True)
        self._pending[id(model)] = (stamp, thread, made)
        thread.start()

    def digest(self, model: torch.nn.Module) -> str:
        stamp = weights_stamp(model)
        pending = self._pending.pop(id(model), None)
        if pending is not None:
            started, thread, made = pending
            thread.join()
            if made and started == stamp:  # nothing written while it hashed
                self._known[id(model)] = (stamp, made[0])
        known = self._known.get(id(model))
        if known is None or known[0] != stamp:
            known = (stamp, weights_digest(model))
            self._known[id(model)] = known
        return known[1]
