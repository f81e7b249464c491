"""ONNX Runtime graphs of the network, one per input shape, cached in the user's cache folder.

A graph is the network's plain forward, ``model(x, upsample=False)`` (the low-resolution
logits; the engine upsamples them as it does torch's), exported by ``torch.onnx`` (the
dynamo exporter: the TorchScript one refuses adaptive pooling to bins that do not divide
the feature map) at one fixed shape (batch, 3, h, w). Fixed shapes keep the adaptive
pooling of the PPM exact; the official protocol's windows all have one shape, the fast
protocol needs a graph per input size. The graph, its export and its timing:
``app.engine.onnx_graph``.

Files: ``user_cache_dir()/onnx/KEY.onnx`` and ``KEY.json``, written atomically, the JSON
last. KEY hashes the weights (every state-dict tensor), the model's config, the shape, the
opset and the versions of torch, onnx, onnxscript and onnxruntime (``app.engine.onnx_keys``):
new weights or a new release build a new graph. The JSON holds the graph's sha256 and the time of an ONNX
Runtime run and of a torch forward at that shape, measured when the graph was built (mean
of interleaved rounds after a warm-up), which the ``auto`` backend reads. A missing,
truncated or unloadable file is rebuilt; a cache that cannot be written only costs the
rebuild next time. Beside each graph ONNX Runtime's own optimised copy of it for this CPU
(``app.engine.onnx_optimised``), which later processes load in milliseconds instead of
parsing and optimising the graph again; the exported graph is read only where that copy is
missing or damaged. At most ``CACHE_BUDGET`` bytes of graphs (with their optimised copies)
are kept, least recently used dropped first.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch

from app.engine import onnx_optimised
from app.engine.onnx_graph import Graph, export_graph, measure
from app.engine.onnx_keys import REQUIRED, WeightDigests, graph_key, versions
from app.engine.onnx_optimised import regular
from app.fileio import atomic_write_bytes
from app.paths import user_cache_dir

EXPORTERS = ("onnx", "onnxscript")  # imported by torch.onnx only when a graph is built
CACHE_BUDGET = 2 * 1024 ** 3  # a PSPNet-50 graph is about 190 MB
MAX_RECORD_BYTES = 64 * 1024
SESSIONS_KEPT = 4  # sessions in memory per cache: a folder of many sizes loads them again from disk
_KEY_NAME = re.compile(r"^[0-9a-f]{32}\.(onnx|json)$")


class OnnxUnavailable(RuntimeError):
    """The ONNX backend cannot run here; the message says why and what to install."""


def missing_packages(names: tuple[str, ...] = REQUIRED) -> list[str]:
    """Which of ``names`` (default: onnxruntime, onnx and onnxscript) are not installed.

    onnxruntime is imported (quick, and every graph needs it); the exporter's packages are
    only looked for: importing them takes about a second, which a run whose graphs are all
    cached would pay for nothing (measured: 0.9 s of a 9 s whole-process official run). A
    broken install of those shows when a graph is built, as that build's error."""
    missing = []
    for name in names:
        try:
            if name in EXPORTERS:
                if importlib.util.find_spec(name) is None:
                    missing.append(name)
            else:
                importlib.import_module(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def require_onnx() -> None:
    missing = missing_packages()
    if missing:
        raise OnnxUnavailable(f"the onnx backend needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'}"
                              f" not installed: pip install {' '.join(missing)} (or use --backend torch)")


class GraphCache:
    """The graphs of any model, built or loaded on first use of a shape, kept in memory."""

    def __init__(self, folder: Path | None = None, threads: int | None = None,
                 budget: int = CACHE_BUDGET) -> None:
        self.folder = Path(folder) if folder is not None else user_cache_dir() / "onnx"
        self.threads = threads
        self.budget = budget
        self.builds = 0  # graphs exported by this cache (the tests and benchmarks read it)
        self.notes: list[str] = []  # what went wrong with the files (rebuilt, not written)
        self._graphs: OrderedDict[str, Graph] = OrderedDict()  # the most recently used last
        self.weights = WeightDigests()  # start(model) hashes the weights ahead of the first key

    def key(self, model: torch.nn.Module, shape: tuple[int, ...]) -> str:
        return graph_key(self.weights.digest(model), shape)

    def cached(self, model: torch.nn.Module, shape: tuple[int, ...]) -> bool:
        """Whether the graph of this shape is in memory or on disk (not checked further)."""
        key = self.key(model, shape)
        return key in self._graphs or regular(self.folder / f"{key}.json")

    def graph(self, model: torch.nn.Module, shape: tuple[int, ...]) -> Graph:
        graph = self.loaded_graph(model, shape)
        if graph is None:
            key = self.key(model, shape)
            graph = self._keep(key, self._build(key, model, shape))
        return graph

    def loaded_graph(self, model: torch.nn.Module, shape: tuple[int, ...]) -> Graph | None:
        """The graph from memory or from the cache's files; None where it would have to be
        built (never exports: the desktop window leaves that to a child process)."""
        key = self.key(model, shape)
        graph = self._graphs.get(key)
        if graph is None:
            loaded = self._load(key)
            return None if loaded is None else self._keep(key, loaded)
        self._graphs.move_to_end(key)
        return graph

    def _keep(self, key: str, graph: Graph) -> Graph:
        self._graphs[key] = graph
        while len(self._graphs) > SESSIONS_KEPT:  # each holds its own copy of the weights
            self._graphs.popitem(last=False)
        return graph

    # --- files --------------------------------------------------------------------

    def _load(self, key: str) -> Graph | None:
        record_path, graph_path = self.folder / f"{key}.json", self.folder / f"{key}.onnx"
        if not regular(record_path):
            return None
        try:
            if record_path.stat().st_size > MAX_RECORD_BYTES or not regular(graph_path):
                raise ValueError("incomplete")
            record = json.loads(record_path.read_text(encoding="utf-8"))
            session = self._optimised(key)  # ONNX Runtime's copy: no parsing, no 187 MB read
            if session is None:
                data = graph_path.read_bytes()
                if hashlib.sha256(data).hexdigest() != record["sha256"]:
                    raise ValueError("its sha256 does not match")
                session = self._session(data, key)
            os.utime(graph_path)  # recently used: pruned last
            return Graph(session, session.get_inputs()[0].name, _ms(record.get("onnx_ms")),
                         _ms(record.get("torch_ms")))
        except Exception as exc:  # noqa: BLE001 - any unreadable cache file is rebuilt
            self.notes.append(f"cached ONNX graph {graph_path.name} unusable ({exc}); rebuilt")
            return None

    def _optimised(self, key: str) -> Any:
        """A session from ONNX Runtime's optimised files of ``key``, or None (absent, or
        damaged: removed, noted, made again from the exported graph)."""
        try:
            return onnx_optimised.load(self.folder, key, self._options)
        except ValueError as exc:
            self.notes.append(str(exc))
            return None

    def _build(self, key: str, model: torch.nn.Module, shape: tuple[int, ...]) -> Graph:
        require_onnx()
        started = time.perf_counter()
        data = export_graph(model, shape)
        self.builds += 1
        session = self._session(data, key)
        graph = Graph(session, session.get_inputs()[0].name, None, None)
        graph.onnx_ms, graph.torch_ms = measure(graph, model, shape)
        self.notes.append(f"built the ONNX graph for inputs of {'x'.join(map(str, shape))} once, in "
                          f"{time.perf_counter() - started:.0f} s (ONNX Runtime {graph.onnx_ms:.0f} ms, "
                          f"PyTorch {graph.torch_ms:.0f} ms a forward); cached in {self.folder}")
        record = {"sha256": hashlib.sha256(data).hexdigest(), "shape": list(shape),
                  "onnx_ms": graph.onnx_ms, "torch_ms": graph.torch_ms, "versions": versions()}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.folder / f"{key}.onnx", data)
            atomic_write_bytes(self.folder / f"{key}.json", json.dumps(record, indent=1).encode())
            self._prune(keep=key)
        except OSError as exc:  # a read-only or full cache: the graph still runs, from memory
            onnx_optimised.remove(self.folder, key)  # no optimised copy without its graph's record
            self.notes.append(f"could not cache the ONNX graph in {self.folder}: {exc}")
        return graph

    def _prune(self, keep: str) -> None:
        """Drop the least recently used graphs (with their optimised copies) beyond the budget."""
        files: dict[str, list[Path]] = {}
        for path in self.folder.iterdir():
            if (_KEY_NAME.match(path.name) or onnx_optimised.NAME.match(path.name)) and regular(path):
                files.setdefault(path.name[:32], []).append(path)
        total = 0
        for key, group in sorted(files.items(), key=lambda item: max(p.stat().st_mtime for p in item[1]),
                                 reverse=True):
            total += sum(p.stat().st_size for p in group)
            if total > self.budget and key != keep:
                onnx_optimised.remove(self.folder, key)
                (self.folder / f"{key}.json").unlink(missing_ok=True)  # the record first: no graph without one
                (self.folder / f"{key}.onnx").unlink(missing_ok=True)

    def _options(self) -> Any:
        import onnxruntime as ort  # noqa: PLC0415 - optional until the backend is used

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: the warnings are about unused initialisers
        # idle threads sleep instead of spinning: torch's own threads run the resize and
        # argmax right after each forward, on the same cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return options

    def _session(self, data: bytes, key: str) -> Any:
        """A session from the exported graph; ONNX Runtime's optimised copy of it is saved
        beside it for the next process (``onnx_optimised``), where the cache can be written."""
        try:
            return onnx_optimised.create(self.folder, key, data, self._options)
        except OSError as exc:
            self.notes.append(f"could not save ONNX Runtime's optimised graph in {self.folder}: {exc}")
        import onnxruntime as ort  # noqa: PLC0415

        return ort.InferenceSession(data, self._options(), providers=["CPUExecutionProvider"])


def _ms(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
