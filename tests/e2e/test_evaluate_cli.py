"""`main.py evaluate` on a tiny set whose IoU is known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from tests.engine_fixtures import block_image, constant_weights, evaluation_set  # noqa: F401 - a fixture


# class 2: I = 300, U = 450 per image -> 2/3; class 1: 0; classes 0, 3, 4 absent -> 0
EXPECTED = {"mIoU": (2 / 3) / 5, "mAcc": 1 / 5, "allAcc": 2 / 3}


@pytest.mark.parametrize("raw", [False, True])
def test_known_iou(tmp_path, constant_weights, capsys, raw):
    evaluation_set(tmp_path / "data", raw)
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
    evaluation_set(tmp_path / "data", raw=False)
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
