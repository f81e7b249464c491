"""One exported graph of the network and what makes it: the ONNX Runtime session that runs
it (``Graph``, stopped by a cancel event between two operators), the export of
``model(x, upsample=False)`` at one fixed shape (``export_graph``) and the timing of the
graph against torch's forward that the ``auto`` backend reads (``measure``). Where graphs
are kept and named: ``app.engine.onnx_backend``.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

import torch

from app.engine.onnx_keys import OPSET
from app.engine.result import Cancelled

TIMING_ROUNDS = 2
CANCEL_POLL_S = 0.05  # how often a running graph looks at its cancel event


@dataclass
class Graph:
    session: Any  # onnxruntime.InferenceSession
    input_name: str
    onnx_ms: float | None  # measured when built; None when unknown
    torch_ms: float | None

    @property
    def faster(self) -> bool:
        """Whether ONNX Runtime ran this shape faster than torch when it was built."""
        return self.onnx_ms is not None and self.torch_ms is not None and self.onnx_ms < self.torch_ms

    def run(self, x: torch.Tensor, cancel: threading.Event | None = None) -> torch.Tensor:
        """The graph's output for ``x``; a set ``cancel`` stops the run between two of its
        operators (ONNX Runtime's terminate flag) and raises ``Cancelled``."""
        feeds = {self.input_name: x.detach().to("cpu", torch.float32).contiguous().numpy()}
        if cancel is None:
            return torch.from_numpy(self.session.run(None, feeds)[0])
        import onnxruntime as ort  # noqa: PLC0415 - loaded already: the session is its

        options = ort.RunOptions()
        options.terminate = cancel.is_set()  # set already: the run stops at its first operator
        finished = threading.Event()

        def watch() -> None:  # the run holds this thread's caller; a watcher sets the flag
            while not finished.is_set():
                if cancel.wait(CANCEL_POLL_S):
                    options.terminate = True
                    return

        watcher = threading.Thread(target=watch, name="onnx-cancel", daemon=True)
        watcher.start()
        try:
            outputs = self.session.run(None, feeds, options)
        except Exception:
            if cancel.is_set():
                raise Cancelled() from None
            raise
        finally:
            finished.set()
            watcher.join()
        return torch.from_numpy(outputs[0])


def export_graph(model: torch.nn.Module, shape: tuple[int, ...]) -> bytes:
    """The serialised ONNX model of ``model(x, upsample=False)`` for inputs of ``shape``."""
    was_training = model.training
    model.eval()
    example = torch.zeros(shape)
    try:
        # torch.export traces with autograd's view of the tensors: not under inference_mode
        with torch.inference_mode(False), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on its own internals
            program = torch.onnx.export(model, (example,), kwargs={"upsample": False}, dynamo=True,
                                        opset_version=OPSET, optimize=True, verbose=False)
    finally:
        model.train(was_training)
    if program is None:
        raise RuntimeError("torch.onnx.export returned no program")
    return program.model_proto.SerializeToString()


def measure(graph: Graph, model: torch.nn.Module, shape: tuple[int, ...]) -> tuple[float, float]:
    """(ONNX Runtime ms, torch ms) for one input of ``shape``: mean of interleaved rounds
    after a warm-up of each; raises if the graph's output has another shape than torch's."""
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        if tuple(graph.run(x).shape) != tuple(model(x, upsample=False).shape):
            raise RuntimeError("the exported graph's output shape differs from the network's")
        onnx_s, torch_s = [], []
        for _ in range(TIMING_ROUNDS):
            started = time.perf_counter()
            graph.run(x)
            onnx_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            model(x, upsample=False)
            torch_s.append(time.perf_counter() - started)
    return 1000 * sum(onnx_s) / len(onnx_s), 1000 * sum(torch_s) / len(torch_s)
