"""`main.py evaluate` on a tiny set whose IoU is known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from app.checkpoints import save_native
from app.checkpoints.meta import ProtocolSettings
from app.cli import main
from tests.engine_fixtures import block_image, varied_loaded


@pytest.fixture(scope="module")
def constant_weights(tmp_path_factory):
    """A model that predicts class 2 everywhere (zero classifier weights, one-hot bias)."""
    loaded = varied_loaded()
    with torch.no_grad():
        loaded.model.head.classifier.weight.zero_()
        loaded.model.head.classifier.bias.copy_(torch.tensor([0.0, 0.0, 5.0, 0.0, 0.0]))
    loaded.meta.protocols = {"fast": ProtocolSettings("fast", base_size=32),
                             "official": ProtocolSettings("official", base_size=32, crop_size=33, flip=True)}
    return save_native(tmp_path_factory.mktemp("w") / "const.safetensors", loaded.model, loaded.meta)


def make_set(root, raw: bool, count: int = 3):
    """Top half class 2, bottom-left class 1, bottom-right ignored; ``raw``: ADE-style 0 = ignore, k+1."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    label = np.full((20, 30), 255, np.uint8)
    label[:10] = 2
    label[10:, :15] = 1
    if raw:
        label = np.where(label == 255, 0, label + 1).astype(np.uint8)
    for i in range(count):
        Image.fromarray(block_image(20, 30, i)).save(root / "images" / f"im{i}.jpg")
        Image.fromarray(label).save(root / "labels" / f"im{i}.png")


# class 2: I = 300, U = 450 per image -> 2/3; class 1: 0; classes 0, 3, 4 absent -> 0
EXPECTED = {"mIoU": (2 / 3) / 5, "mAcc": 1 / 5, "allAcc": 2 / 3}


@pytest.mark.parametrize("raw", [False, True])
def test_known_iou(tmp_path, constant_weights, capsys, raw):
    make_set(tmp_path / "data", raw)
    report = tmp_path / "report.json"
    args = ["evaluate", "--data", str(tmp_path / "data"), "--weights", str(constant_weights),
            "--report", str(report)] + (["--reduce-zero-label"] if raw else [])
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "mIoU 13.33" in out and "mAcc 20.00" in out and "allAcc 66.67" in out
    data = json.loads(report.read_text())
    for key, value in EXPECTED.items():
        assert data[key] == pytest.approx(value)
    assert data["images"] == 3
    assert data["classes"][2]["iou"] == pytest.approx(2 / 3) and data["classes"][1]["iou"] == 0


def test_official_protocol_and_failures(tmp_path, constant_weights, capsys):
    make_set(tmp_path / "data", raw=False)
    Image.fromarray(block_image(20, 30, 9)).save(tmp_path / "data" / "images" / "nolabel.jpg")
    Image.fromarray(block_image(20, 30, 8)).save(tmp_path / "data" / "images" / "wrong.jpg")
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(tmp_path / "data" / "labels" / "wrong.png")
    code = main(["evaluate", "--data", str(tmp_path / "data"), "--weights", str(constant_weights),
                 "--protocol", "official"])
    captured = capsys.readouterr()
    assert code == 1
    assert "mIoU 13.33" in captured.out  # the three good images still count
    assert "nolabel.jpg" in captured.err and "wrong.png" in captured.err
    assert "Traceback" not in captured.err


def test_usage_errors(tmp_path, constant_weights, capsys):
    assert main(["evaluate", "--data", str(tmp_path), "--weights", str(constant_weights)]) == 2
    assert "images" in capsys.readouterr().err
