"""ONNX Runtime's optimised copy of a cached graph (app/engine/onnx_optimised.py): what a new
process loads instead of the exported graph, the same outputs, made again when damaged or
for another CPU, never a stale or half-written file, pruned with its graph.

One graph (the official protocol's window pair of the tiny model) is built for the module;
the tests that change the files work on a copy of its cache folder.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from app.engine import onnx_optimised
from app.engine.onnx_backend import GraphCache
from tests.engine_fixtures import varied_loaded

SHAPE = (2, 3, 33, 33)
X = torch.randn(SHAPE, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny model, its cache folder holding one graph and its optimised copy, and the
    output of the session the build ran."""
    folder = tmp_path_factory.mktemp("cache") / "onnx"
    model = varied_loaded().model.eval()
    cache = GraphCache(folder)
    with torch.inference_mode():
        graph = cache.graph(model, SHAPE)
        output = graph.run(X).numpy()
    assert cache.builds == 1 and cache.notes[0].startswith("built the ONNX graph")
    return model, folder, cache.key(model, SHAPE), output


def copied(built, tmp_path: Path) -> Path:
    shutil.copytree(built[1], tmp_path / "onnx")
    return tmp_path / "onnx"


def fresh_run(model, folder: Path) -> tuple[GraphCache, np.ndarray]:
    """What a new process does: a cache with nothing in memory, the graph from its files."""
    cache = GraphCache(folder)
    with torch.inference_mode():
        output = cache.graph(model, SHAPE).run(X).numpy()
    return cache, output


def test_the_build_leaves_the_optimised_copy_beside_the_graph(built):
    _, folder, key, _ = built
    model, weights, record = onnx_optimised.paths(folder, key)
    facts = json.loads(record.read_text())
    assert model.stat().st_size == facts["model_bytes"] and weights.stat().st_size == facts["data_bytes"]
    assert weights.stat().st_size > 100_000  # the weights live in their own file, mapped when loaded
    assert facts["cpu"] == onnx_optimised.cpu_tag() and len(onnx_optimised.cpu_tag()) == 12
    assert not [p for p in folder.iterdir() if p.name.startswith(onnx_optimised.SCRATCH_PREFIX)]


def test_a_new_process_runs_the_copy_without_reading_the_graph(built, tmp_path):
    model, _, key, output = built
    folder = copied(built, tmp_path)
    exported = folder / f"{key}.onnx"
    exported.write_bytes(b"\0" * exported.stat().st_size)  # were it read, its sha256 would fail
    cache, again = fresh_run(model, folder)
    assert cache.builds == 0 and cache.notes == []
    assert np.array_equal(again, output)  # bit for bit: the session the build ran


@pytest.mark.parametrize("damage", ["weights byte", "weights cut", "record garbage", "model garbage"])
def test_a_damaged_copy_is_made_again_from_the_graph(built, tmp_path, damage):
    model, _, key, output = built
    folder = copied(built, tmp_path)
    model_file, weights, record = onnx_optimised.paths(folder, key)
    if damage == "weights byte":  # same size: only the CRC tells
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0x40
        weights.write_bytes(bytes(data))
    elif damage == "weights cut":
        weights.write_bytes(weights.read_bytes()[:-4096])
    elif damage == "record garbage":
        record.write_bytes(b"{not json")
    else:  # a model file that matches its record but that ONNX Runtime cannot load
        garbage = b"not an onnx model" * 100
        model_file.write_bytes(garbage)
        facts = json.loads(record.read_text())
        facts.update(model_bytes=len(garbage), model_crc32=onnx_optimised._crc32(model_file))
        record.write_text(json.dumps(facts))
    cache, again = fresh_run(model, folder)
    assert cache.builds == 0  # made from the exported graph, not exported again
    assert any("unusable" in note and "made again" in note for note in cache.notes)
    assert np.array_equal(again, output)
    cache, again = fresh_run(model, folder)  # whole again: the next process loads it quietly
    assert cache.notes == [] and np.array_equal(again, output)


def test_another_cpu_makes_its_own_copy(built, tmp_path, monkeypatch):
    model, _, key, output = built
    folder = copied(built, tmp_path)
    ours = onnx_optimised.paths(folder, key)
    monkeypatch.setattr(onnx_optimised, "cpu_tag", lambda: "0123456789ab")
    cache, again = fresh_run(model, folder)
    theirs = onnx_optimised.paths(folder, key)
    assert theirs[0].name.startswith(f"{key}-0123456789ab") and all(p.exists() for p in theirs + ours)
    assert cache.builds == 0 and np.array_equal(again, output)


def test_a_cache_that_cannot_take_the_copy_still_runs(built, tmp_path, monkeypatch):
    model, _, key, output = built
    folder = copied(built, tmp_path)
    onnx_optimised.remove(folder, key)

    def refused(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(onnx_optimised.tempfile, "mkdtemp", refused)
    cache, again = fresh_run(model, folder)
    assert any("could not save ONNX Runtime's optimised graph" in note for note in cache.notes)
    assert np.array_equal(again, output) and not onnx_optimised.paths(folder, key)[2].exists()


def test_pruning_a_graph_removes_its_copy(built, tmp_path):
    model, _, key, _ = built
    folder = copied(built, tmp_path)
    old = "f" * 32  # another graph's files, used long ago
    for suffix in (".onnx", ".json", "-0123456789ab.optimised", "-0123456789ab.optimised-weights",
                   "-0123456789ab.optimised-record"):
        (folder / f"{old}{suffix}").write_bytes(b"x" * 1000)
        os.utime(folder / f"{old}{suffix}", (1, 1))
    cache = GraphCache(folder, budget=1)  # room for the graph just used only
    cache._prune(keep=key)
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(old)) == []
    assert all(p.exists() for p in onnx_optimised.paths(folder, key)) and (folder / f"{key}.onnx").exists()


def test_only_stale_scratch_folders_are_cleared(built, tmp_path):
    model, _, key, _ = built
    folder = copied(built, tmp_path)
    stale, busy = folder / f"{onnx_optimised.SCRATCH_PREFIX}old", folder / f"{onnx_optimised.SCRATCH_PREFIX}busy"
    for scratch in (stale, busy):
        scratch.mkdir()
        (scratch / "weights").write_bytes(b"x")
    long_ago = time.time() - 2 * onnx_optimised.SCRATCH_MAX_AGE_S
    os.utime(stale, (long_ago, long_ago))
    onnx_optimised.remove(folder, key)
    fresh_run(model, folder)  # makes the copy again, clearing what a killed process left
    assert not stale.exists() and busy.exists()
