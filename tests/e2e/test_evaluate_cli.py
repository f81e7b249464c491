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


def test_black_white_masks_are_evaluated_as_they_are_and_named_once(tmp_path, constant_weights, capsys):
    """Binary masks saved as 0/255 greyscale: 255 is ignore, so IoU comes out 0 without a word.
    The figures stay those of the values read; one warning says what was found and what to do."""
    evaluation_set(tmp_path / "data", raw=False)
    mask = np.zeros((20, 30), np.uint8)
    mask[5:15, 5:25] = 255
    for i in range(2):
        Image.fromarray(mask, "L").save(tmp_path / "data" / "labels" / f"im{i}.png")
    report = tmp_path / "report.json"
    assert main(["evaluate", "--data", str(tmp_path / "data"), "--weights", str(constant_weights),
                 "--report", str(report)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: ") == 1
    assert "warning: 2 of 3 label maps hold only the values 0 and 255 (the first: " in err
    assert "im0.png, 255 in 33% of its pixels): a binary mask saved as black/white? 255 is read as ignore" in err
    data = json.loads(report.read_text())
    assert len(data["warnings"]) == 1 and data["warnings"][0].startswith("2 of 3 label maps")
    assert data["classes"][0]["target_pixels"] == 2 * (600 - 200)  # 255 stays ignore: nothing changed


def test_ordinary_labels_give_no_black_white_note(tmp_path, constant_weights, capsys):
    evaluation_set(tmp_path / "data", raw=False)
    report = tmp_path / "report.json"
    assert main(["evaluate", "--data", str(tmp_path / "data"), "--weights", str(constant_weights),
                 "--report", str(report)]) == 0
    assert "warning: " not in capsys.readouterr().err and json.loads(report.read_text())["warnings"] == []
