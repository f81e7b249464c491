"""The ONNX Runtime backend: labels as PyTorch's, the graph cache, the backend choice.

Exporting a graph takes seconds, so the two graphs every test needs (a fast-protocol
input size and the official protocol's window batch) are built once for the module, and
the tests that change or damage the cache work on a copy of it.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from app.checkpoints.meta import ProtocolSettings
from app.engine.backend import Backend, BackendError
from app.engine import onnx_backend, onnx_optimised
from app.engine.onnx_backend import GraphCache
from app.engine.result import Cancelled
from app.engine.segmenter import Segmenter
from app.paths import CACHE_ENV
from tests.engine_fixtures import block_image, varied_loaded

FAST = ProtocolSettings("fast", base_size=64)
OFFICIAL = ProtocolSettings("official", base_size=64, crop_size=33, flip=True)
IMAGE = block_image(240, 336, 4)  # 80 k pixels: 99.99 % allows 8 near-ties
FAST_SHAPE = (1, 3, 46, 64)  # the fast protocol's input for IMAGE at base size 64
WINDOW_SHAPE = (2, 3, 33, 33)  # one window and its mirror image


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float((a == b).mean())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny model, its PyTorch results, and a cache holding its two graphs."""
    folder = tmp_path_factory.mktemp("cache")
    loaded = varied_loaded()
    torch_results = {s.name: Segmenter(loaded, "cpu").segment(IMAGE, s) for s in (FAST, OFFICIAL)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(folder))
        segmenter = Segmenter(loaded, "cpu", backend="onnx")
        onnx_results = {s.name: segmenter.segment(IMAGE, s) for s in (FAST, OFFICIAL)}
    assert segmenter.backend.cache.builds == 2
    return loaded, folder, torch_results, onnx_results


def copy_cache(built, tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    shutil.copytree(built[1], folder)
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder / "onnx"


def record_of(folder: Path, shape: tuple[int, ...]) -> Path:
    found = [p for p in folder.glob("*.json") if tuple(json.loads(p.read_text())["shape"]) == shape]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("protocol", ["fast", "official"])
def test_labels_agree_with_pytorch(built, protocol):
    _, _, torch_results, onnx_results = built
    ours, ref = onnx_results[protocol], torch_results[protocol]
    assert len(np.unique(ref.labels)) >= 3  # a model that varies: agreement means something
    assert agreement(ours.labels, ref.labels) >= 0.9999
    np.testing.assert_allclose(ours.confidence, ref.confidence, atol=1e-4)
    assert len(ours.notes) == 1 and ours.notes[0].startswith("built the ONNX graph for inputs of")


def test_cache_hit_builds_nothing(built, tmp_path, monkeypatch):
    folder = copy_cache(built, tmp_path, monkeypatch)
    segmenter = Segmenter(built[0], "cpu", backend="onnx")  # a new process would start like this
    result = segmenter.segment(IMAGE, FAST)
    assert segmenter.backend.cache.builds == 0
    assert np.array_equal(result.labels, built[3]["fast"].labels)
    assert len(list(folder.glob("*.onnx"))) == 2


def test_weight_change_builds_a_new_graph(built, tmp_path, monkeypatch):
    folder = copy_cache(built, tmp_path, monkeypatch)
    loaded = varied_loaded()
    segmenter = Segmenter(loaded, "cpu", backend="onnx")
    segmenter.segment(IMAGE, FAST)
    assert segmenter.backend.cache.builds == 0
    with torch.no_grad():  # in place, as a training step or a weight load would
        loaded.model.head.classifier.bias[1] += 3.0
    changed = segmenter.segment(IMAGE, FAST)
    assert segmenter.backend.cache.builds == 1
    assert len(list(folder.glob("*.onnx"))) == 3
    ref = Segmenter(loaded, "cpu").segment(IMAGE, FAST)
    assert agreement(changed.labels, ref.labels) >= 0.9999
    assert agreement(changed.labels, built[3]["fast"].labels) < 0.99  # the new weights did run


def test_corrupt_cache_file_is_rebuilt(built, tmp_path, monkeypatch):
    folder = copy_cache(built, tmp_path, monkeypatch)
    record = record_of(folder, FAST_SHAPE)
    graph = record.with_suffix(".onnx")
    onnx_optimised.remove(folder, record.stem)  # ONNX Runtime's copy would still run (test_onnx_optimised)
    graph.write_bytes(graph.read_bytes()[:1000])  # a disk that filled up, a killed copy
    segmenter = Segmenter(built[0], "cpu", backend="onnx")
    result = segmenter.segment(IMAGE, FAST)
    assert segmenter.backend.cache.builds == 1
    assert any("unusable" in note and "rebuilt" in note for note in result.notes)
    assert any(note.startswith("built the ONNX graph") for note in result.notes)
    assert np.array_equal(result.labels, built[3]["fast"].labels)
    assert json.loads(record.read_text())["shape"] == list(FAST_SHAPE)  # the cache is whole again
    again = Segmenter(built[0], "cpu", backend="onnx")
    again.segment(IMAGE, FAST)
    assert again.backend.cache.builds == 0


@pytest.mark.parametrize("damage", ["garbage", "empty", "no graph", "a link"])
def test_unreadable_records_are_not_loaded(built, tmp_path, monkeypatch, damage):
    folder = copy_cache(built, tmp_path, monkeypatch)
    record = record_of(folder, WINDOW_SHAPE)
    if damage == "garbage":
        record.write_bytes(b"\x00{not json")
    elif damage == "empty":
        record.write_bytes(b"")
    elif damage == "no graph":
        record.with_suffix(".onnx").unlink()
    else:
        target = tmp_path / "elsewhere.json"
        record.rename(target)
        record.symlink_to(target)
    cache = GraphCache(folder)
    key = cache.key(built[0].model, WINDOW_SHAPE)
    assert record.stem == key
    assert cache._load(key) is None  # rebuilt by graph(), as the test above shows
    assert damage == "a link" or any("unusable" in note for note in cache.notes)


def test_auto_uses_a_graph_only_where_it_measured_faster(built, tmp_path, monkeypatch):
    folder = copy_cache(built, tmp_path, monkeypatch)
    record = record_of(folder, WINDOW_SHAPE)
    model = built[0].model
    x = torch.zeros(WINDOW_SHAPE)

    def timed(onnx_ms: float, torch_ms: float) -> Backend:
        data = json.loads(record.read_text())
        data.update(onnx_ms=onnx_ms, torch_ms=torch_ms)
        record.write_text(json.dumps(data))
        return Backend("auto", torch.device("cpu"), GraphCache(folder))

    with torch.inference_mode():
        faster = timed(1.0, 5.0)
        logits = faster.logits(model, x, recurring=True)
        assert logits is not None and torch.allclose(logits, model(x, upsample=False), atol=1e-4)
        assert timed(5.0, 1.0).logits(model, x, recurring=True) is None
        # a whole-image size nobody built yet: auto never pays an export for one photo
        unseen = Backend("auto", torch.device("cpu"), GraphCache(folder))
        assert unseen.logits(model, torch.zeros(1, 3, 40, 48), recurring=False) is None
        assert unseen.cache.builds == 0


def test_sessions_kept_in_memory_are_bounded(built, tmp_path, monkeypatch):
    folder = copy_cache(built, tmp_path, monkeypatch)
    monkeypatch.setattr(onnx_backend, "SESSIONS_KEPT", 1)
    cache = GraphCache(folder)
    model = built[0].model
    first = cache.graph(model, FAST_SHAPE)
    assert cache.graph(model, FAST_SHAPE) is first  # kept while it is the most recent
    cache.graph(model, WINDOW_SHAPE)
    again = cache.graph(model, FAST_SHAPE)  # dropped for the window graph, loaded again
    assert again is not first and cache.builds == 0


def test_cancel_stops_an_onnx_run(built, tmp_path, monkeypatch):
    folder = copy_cache(built, tmp_path, monkeypatch)
    graph = GraphCache(folder).graph(built[0].model, WINDOW_SHAPE)
    x = torch.zeros(WINDOW_SHAPE)
    cancel = threading.Event()
    assert torch.equal(graph.run(x, cancel), graph.run(x))  # not set: the same output
    cancel.set()
    with pytest.raises(Cancelled):  # ONNX Runtime's terminate flag, set by the watcher
        graph.run(x, cancel)


def test_auto_on_a_gpu_is_torch_and_onnx_there_is_refused():
    assert Backend("auto", torch.device("cuda", 0)).name == "torch"
    assert Backend("auto", torch.device("cpu")).name == "auto"
    with pytest.raises(BackendError, match="CPU only"):
        Backend("onnx", torch.device("cuda", 0))
    with pytest.raises(BackendError, match="unknown backend"):
        Backend("tensorrt", torch.device("cpu"))


def test_missing_onnxruntime(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    with pytest.raises(BackendError, match="onnxruntime.*pip install onnxruntime"):
        Backend("onnx", torch.device("cpu"))
    auto = Backend("auto", torch.device("cpu"))
    with torch.inference_mode():
        assert auto.logits(varied_loaded().model, torch.zeros(WINDOW_SHAPE), recurring=True) is None


def test_captures_stay_on_pytorch(built, tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))  # empty: any ONNX forward would build a graph
    segmenter = Segmenter(built[0], "cpu", backend="onnx")
    result = segmenter.segment(IMAGE, FAST, capture=True)
    assert result.activations is not None
    assert np.array_equal(result.labels, built[2]["fast"].labels)
    assert segmenter.backend.cache.builds == 0 and not any(tmp_path.iterdir())
