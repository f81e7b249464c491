"""Which implementation runs the network's plain forwards: PyTorch or ONNX Runtime.

- ``torch``: always PyTorch.
- ``onnx``: ONNX Runtime for every plain forward (CPU only: the onnxruntime wheel the
  project depends on is the CPU one); a graph is exported on first use of each input
  shape and cached (``app.engine.onnx_backend``).
- ``auto``: PyTorch on a GPU; on the CPU, ONNX Runtime for a shape whose graph measured
  faster than torch when it was built. Window protocols (official, slide, semseg's
  multi-scale) build their graph on first use: every image of every size reuses the
  window shape. Whole-image passes (fast, CSAIL's sizes) use a graph only where one is
  already cached (an earlier ``--backend onnx`` run at that size): exporting costs about
  as much as a hundred forwards of the shipped model, too much for one photo.

PyTorch always runs the captures (the inspector reads the PPM's activations) and training.

``builds=False`` (the desktop window: an export holds the GIL for up to half a second at a
time, which would freeze the window) never exports: a shape without a cached graph runs
on PyTorch and is recorded in ``missing``, for a child process to build.
"""

from __future__ import annotations

import threading

import torch

from app.engine.onnx_backend import GraphCache, OnnxUnavailable, missing_packages, require_onnx
from app.engine.result import Cancelled

BACKENDS = ("torch", "onnx", "auto")


class BackendError(ValueError):
    """The requested backend cannot run here; message for the user."""


class Backend:
    """The plain forwards of one segmenter: ``logits`` returns ONNX Runtime's low-resolution
    logits, or None where PyTorch is to run that forward."""

    def __init__(self, name: str, device: torch.device, cache: GraphCache | None = None,
                 builds: bool = True) -> None:
        if name not in BACKENDS:
            raise BackendError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
        if name == "onnx":
            if device.type != "cpu":
                raise BackendError(f"the onnx backend runs on the CPU only, not on {device}: use --device cpu, "
                                   "or --backend auto / torch on a GPU")
            try:
                require_onnx()
            except OnnxUnavailable as exc:
                raise BackendError(str(exc)) from None
        self.requested = name
        # auto on a GPU is torch: the CPU wheel of onnxruntime has no GPU provider
        self.name = "torch" if name == "auto" and device.type != "cpu" else name
        self._cache = cache
        self._usable: bool | None = None if self.name == "auto" else self.name == "onnx"
        self._failed: set[tuple[int, ...]] = set()
        self.notes: list[str] = []
        self.builds = builds
        self.missing: set[tuple[int, ...]] = set()  # shapes run on PyTorch for want of a graph (builds=False)
        self.ran = {"onnx": 0, "torch": 0}  # plain forwards by each, since the last take_ran

    @property
    def cache(self) -> GraphCache:
        if self._cache is None:
            self._cache = GraphCache()
        return self._cache

    def prepare(self, model: torch.nn.Module) -> None:
        """Where ONNX Runtime may run ``model``'s forwards, start hashing its weights for the
        graphs' keys now, in a thread (``onnx_keys.WeightDigests``): the first forward finds
        the digest made while the photo was read."""
        if self.name != "torch" and self.usable():
            self.cache.weights.start(model)

    def usable(self) -> bool:
        """Whether ONNX Runtime may run anything here (auto: whether it is installed; onnx and
        onnxscript are imported only when a graph is built, which fails over to torch)."""
        if self._usable is None:
            self._usable = not missing_packages(("onnxruntime",))
        return self._usable

    def logits(self, model: torch.nn.Module, x: torch.Tensor, recurring: bool,
               cancel: threading.Event | None = None) -> torch.Tensor | None:
        """``model(x, upsample=False)`` by ONNX Runtime, or None: PyTorch runs this one.

        ``recurring``: the shape comes back for every image (windows), so auto may build it.
        ``cancel``: once set, the run stops (``Cancelled``), inside the forward too.
        """
        out = self._logits(model, x, recurring, cancel)
        self.ran["torch" if out is None else "onnx"] += 1
        return out

    def _logits(self, model: torch.nn.Module, x: torch.Tensor, recurring: bool,
                cancel: threading.Event | None) -> torch.Tensor | None:
        if self.name == "torch" or x.device.type != "cpu" or not self.usable():
            return None
        shape = tuple(int(n) for n in x.shape)
        if not self.builds:
            graph = self.cache.loaded_graph(model, shape)
            if graph is None:
                if self.name == "onnx" or recurring:
                    self.missing.add(shape)
                return None
            return graph.run(x, cancel) if self.name == "onnx" or graph.faster else None
        if self.name == "onnx":
            try:
                return self.cache.graph(model, shape).run(x, cancel)
            except (OnnxUnavailable, Cancelled):
                raise
            except Exception as exc:  # noqa: BLE001 - a model the exporter cannot take
                raise OnnxUnavailable(f"could not run the network with ONNX Runtime at {shape}: {exc}") from exc
        if shape in self._failed or not (recurring or self.cache.cached(model, shape)):
            return None
        try:
            graph = self.cache.graph(model, shape)
        except Exception as exc:  # noqa: BLE001 - auto falls back to torch, and says so
            self._failed.add(shape)
            self.notes.append(f"ONNX graph for {shape} not built ({exc}); PyTorch runs it")
            return None
        return graph.run(x, cancel) if graph.faster else None

    def take_ran(self) -> dict[str, int]:
        """Plain forwards run by ONNX Runtime and by PyTorch since the last call."""
        ran, self.ran = self.ran, {"onnx": 0, "torch": 0}
        return ran

    def take_notes(self) -> list[str]:
        """What went wrong since the last call (graphs rebuilt or not cached, torch fallbacks)."""
        notes = self.notes + (self._cache.notes if self._cache is not None else [])
        self.notes = []
        if self._cache is not None:
            self._cache.notes = []
        return notes
