"""`segment --backend torch|onnx|auto` end to end on a tiny saved model."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from app.paths import CACHE_ENV
from tests.helpers import save_tiny_weights
from tests.engine_fixtures import block_image


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return save_tiny_weights(tmp_path_factory.mktemp("weights"))


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):  # one size: one graph serves both; 77 k pixels, so 99.99 % allows 7 near-ties
        Image.fromarray(block_image(240, 320, i)).save(folder / f"p{i}.png")
    return folder


def labels(folder, name):
    return np.array(Image.open(folder / name))


def test_onnx_backend_writes_the_labels_torch_writes(tmp_path, weights, photos, monkeypatch, capsys):
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    common = [str(photos), "--weights", str(weights), "--device", "cpu", "--formats", "label"]
    assert main(["segment", *common, "--out", str(tmp_path / "torch"), "--backend", "torch"]) == 0
    assert "backend torch" in capsys.readouterr().err
    assert main(["segment", *common, "--out", str(tmp_path / "onnx"), "--backend", "onnx"]) == 0
    assert "backend onnx" in capsys.readouterr().err
    assert len(list((cache / "onnx").glob("*.onnx"))) == 1
    for name in ("p0.png", "p1.png"):
        ours, ref = labels(tmp_path / "onnx", name), labels(tmp_path / "torch", name)
        assert (ours == ref).mean() >= 0.9999
    # auto finds that graph in the cache (it would not export one for a whole-image size)
    assert main(["segment", *common, "--out", str(tmp_path / "auto"), "--backend", "auto"]) == 0
    assert len(list((cache / "onnx").glob("*.onnx"))) == 1


def test_missing_onnxruntime_is_a_usage_error(tmp_path, weights, photos, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    code = main(["segment", str(photos), "--out", str(tmp_path / "out"), "--weights", str(weights),
                 "--device", "cpu", "--backend", "onnx"])
    err = capsys.readouterr().err
    assert code == 2 and "pip install onnxruntime" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    # auto quietly runs torch
    assert main(["segment", str(photos), "--out", str(tmp_path / "auto"), "--weights", str(weights),
                 "--device", "cpu", "--formats", "label"]) == 0


def test_backend_flag_values(tmp_path, weights, photos, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["segment", str(photos), "--out", str(tmp_path / "out"), "--backend", "tensorrt"])
    assert exit_info.value.code == 2 and "--backend" in capsys.readouterr().err
    code = main(["segment", str(photos), "--out", str(tmp_path / "out"), "--weights", str(weights),
                 "--backend", "onnx", "--engine", "ray"])
    assert code == 2 and "--engine ray" in capsys.readouterr().err
