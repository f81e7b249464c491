"""The names of cached ONNX graphs (app/engine/onnx_keys.py): the weights digest made ahead of
use in a thread is the one made on the spot, once; weights written meanwhile are hashed again."""

from __future__ import annotations

import torch

from app.engine import onnx_keys
from app.engine.backend import Backend
from app.engine.onnx_keys import WeightDigests, graph_key, weights_digest
from tests.engine_fixtures import varied_loaded


def counting(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = onnx_keys.weights_digest

    def counted(model):
        calls.append(1)
        return real(model)
    monkeypatch.setattr(onnx_keys, "weights_digest", counted)
    return calls


def test_a_digest_started_ahead_is_used_once_made(monkeypatch):
    model = varied_loaded().model
    expected = weights_digest(model)
    calls = counting(monkeypatch)
    digests = WeightDigests()
    digests.start(model)
    digests.start(model)  # already under way: not hashed twice
    assert digests.digest(model) == expected and digests.digest(model) == expected
    assert len(calls) == 1


def test_weights_written_while_hashing_are_hashed_again(monkeypatch):
    model = varied_loaded().model
    digests = WeightDigests()
    digests.start(model)
    with torch.no_grad():
        model.head.classifier.bias[0] += 1.0  # in place: the stamp changes
    assert digests.digest(model) == weights_digest(model)
    assert graph_key(digests.digest(model), (1, 3, 8, 8)) != graph_key(digests.digest(model), (1, 3, 8, 16))


def test_the_backend_starts_the_digest_only_where_onnx_may_run(monkeypatch):
    model = varied_loaded().model
    calls = counting(monkeypatch)
    Backend("torch", torch.device("cpu")).prepare(model)
    assert calls == []
    onnx = Backend("onnx", torch.device("cpu"))
    onnx.prepare(model)
    assert onnx.cache.weights.digest(model) == weights_digest(model) and len(calls) == 1
