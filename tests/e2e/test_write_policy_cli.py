"""Nothing the user did not ask to replace is replaced: train's weights, evaluate's
report, generate's classes.json (the batch's own rules are in tests/unit/test_batch_ledger.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.paths import DEFAULT_WEIGHTS
from tests.engine_fixtures import constant_weights, evaluation_set  # noqa: F401 - a fixture


@pytest.fixture
def captured_training(monkeypatch) -> list[Path]:
    """Where ``train`` would write (the training itself is not what is tested here)."""
    outs: list[Path] = []

    def fake_train(recipe, out, checkpoint, command, **kwargs):
        outs.append(Path(out))
        return out

    monkeypatch.setattr("app.training.train.train", fake_train)
    return outs


def test_train_without_out_never_writes_the_shipped_weights(tmp_path, monkeypatch, captured_training):
    shipped = DEFAULT_WEIGHTS.read_bytes() if DEFAULT_WEIGHTS.exists() else None
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--synthetic", "4", "--epochs", "1"]) == 0
    assert captured_training == [tmp_path / "pspnet_trained.safetensors"]
    (tmp_path / "pspnet_trained.safetensors").write_bytes(b"an earlier training")
    assert main(["train", "--synthetic", "4", "--epochs", "1"]) == 0  # a default never replaces anything
    assert captured_training[1] == tmp_path / "pspnet_trained_2.safetensors"
    assert (DEFAULT_WEIGHTS.read_bytes() if DEFAULT_WEIGHTS.exists() else None) == shipped


def test_train_refuses_an_existing_out_and_the_package(tmp_path, monkeypatch, capsys, captured_training):
    import app

    mine = tmp_path / "mine.safetensors"
    mine.write_bytes(b"weights I keep")
    assert main(["train", "--epochs", "1", "--out", str(mine)]) == 2
    assert "exists; it was kept" in capsys.readouterr().err and mine.read_bytes() == b"weights I keep"
    card_only = tmp_path / "other.safetensors"
    (tmp_path / "other.json").write_text("{}")  # the card that would be replaced beside it
    assert main(["train", "--epochs", "1", "--out", str(card_only)]) == 2
    inside = Path(app.__file__).parent / "model.safetensors"
    assert main(["train", "--epochs", "1", "--out", str(inside), "--overwrite"]) == 2
    assert "inside the installed app package" in capsys.readouterr().err
    assert captured_training == []  # refused before any training
    assert main(["train", "--epochs", "1", "--out", str(mine), "--overwrite"]) == 0
    assert captured_training == [mine]


def test_evaluate_keeps_an_existing_report(tmp_path, constant_weights, capsys):  # noqa: F811
    evaluation_set(tmp_path / "data", raw=False)
    report = tmp_path / "report.json"
    report.write_text("my notes")
    args = ["evaluate", "--data", str(tmp_path / "data"), "--weights", str(constant_weights),
            "--report", str(report)]
    assert main(args) == 2
    assert "exists; it was kept" in capsys.readouterr().err and report.read_text() == "my notes"
    assert main(args + ["--overwrite"]) == 0
    assert json.loads(report.read_text())["images"] == 3


def test_generate_keeps_a_users_classes_json(tmp_path, capsys):
    out = tmp_path / "set"
    out.mkdir()
    (out / "classes.json").write_text('{"classes": "mine"}')
    args = ["generate", "--out", str(out), "--count", "1", "--size", "64x48"]
    assert main(args) == 1
    assert "exists with other contents" in capsys.readouterr().err
    assert (out / "classes.json").read_text() == '{"classes": "mine"}'
    assert not list((out / "images").glob("*"))  # refused before writing any scene
    assert main(args + ["--overwrite"]) == 0
    written = (out / "classes.json").read_text()
    assert main(["generate", "--out", str(out), "--count", "1", "--size", "64x48", "--seed", "5"]) == 0
    assert (out / "classes.json").read_text() == written  # the same classes: more scenes may join


def test_segment_keeps_edited_maps_and_a_users_summary(tmp_path, capsys):
    from PIL import Image

    from tests.helpers import save_tiny_weights
    from tests.engine_fixtures import block_image

    weights = save_tiny_weights(tmp_path)
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        Image.fromarray(block_image(30, 44, i)).save(src / f"p{i}.png")
    out = tmp_path / "out"
    args = ["segment", str(src), "--out", str(out), "--weights", str(weights), "--formats", "label,json"]
    assert main(args) == 0
    record = json.loads((out / "p0.json").read_text())
    (out / "p0.json").write_text(json.dumps({**record, "edited": True}))
    (out / "summary.json").write_text("my summary")
    edited = (out / "p0.json").read_bytes()
    capsys.readouterr()
    assert main(args + ["--overwrite"]) == 1  # the summary could not be written: an error, exit 1
    err = capsys.readouterr().err
    assert "note: kept: edited by hand (use --replace-edited to label it again) (p0.png)" in err
    assert "error:" in err and "summary.json was not written by this app" in err and "Traceback" not in err
    assert (out / "p0.json").read_bytes() == edited and (out / "summary.json").read_text() == "my summary"
    assert main(args + ["--replace-edited"]) == 1
    assert "edited" not in json.loads((out / "p0.json").read_text())


def test_segment_with_out_naming_a_file_says_so_and_keeps_it(tmp_path, capsys):
    from PIL import Image

    from tests.engine_fixtures import block_image
    from tests.helpers import save_tiny_weights

    weights = save_tiny_weights(tmp_path)
    (tmp_path / "in").mkdir()
    Image.fromarray(block_image(30, 44, 0)).save(tmp_path / "in" / "p.png")
    (tmp_path / "notes.txt").write_text("mine")
    code = main(["segment", str(tmp_path / "in"), "--out", str(tmp_path / "notes.txt"), "--weights", str(weights)])
    err = capsys.readouterr().err
    assert code == 2 and "notes.txt is a file, not a folder; it was kept" in err  # was "File exists"
    assert (tmp_path / "notes.txt").read_text() == "mine"
