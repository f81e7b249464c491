"""Hostile and unlucky files around training: a resume file that would run code, an
interrupted run's checkpoint, a weights name taken while the model trained, a FIFO
where generate's classes.json goes."""

from __future__ import annotations

import os
import threading

import pytest
import torch

from app.cli.train_cmd import check_checkpoint, plan_output
from app.training.checkpoint import ResumeError, load_training_state
from app.training.train import save_model
from app.training.writing import SceneWriteError, write_scenes
from tests.engine_fixtures import varied_loaded


class WritesFile:
    """Unpickling this would create a file (what a weights_only load must stop)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_hostile_resume_file_is_refused_by_the_one_checkpoint_reader(tmp_path):
    target, path = tmp_path / "pwned.txt", tmp_path / "last.pt"
    torch.save({"model": {}, "x": WritesFile(str(target))}, path)
    with pytest.raises(ResumeError) as info:
        load_training_state(path)
    message = str(info.value)
    assert "last.pt" in message and "could run code" in message and "io.open" in message
    # torch's own text tells the user to turn the protection off; it must not reach them
    assert "weights_only" not in message
    assert not target.exists()


def test_a_default_name_with_an_interrupted_runs_checkpoint_is_skipped(tmp_path):
    # an interrupted run writes no weights, only runs/<stem>/last.pt: the next run took its name
    (tmp_path / "runs" / "pspnet_trained").mkdir(parents=True)
    (tmp_path / "runs" / "pspnet_trained" / "last.pt").write_bytes(b"epoch 50 of 100")
    assert plan_output(None, overwrite=False, folder=tmp_path) == tmp_path / "pspnet_trained_2.safetensors"


def test_another_runs_checkpoint_is_kept_unless_resumed_or_overwritten(tmp_path):
    ckpt = tmp_path / "runs" / "model" / "last.pt"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"an earlier run")
    with pytest.raises(ValueError, match="holds the checkpoint of an earlier run; it was kept.*--resume"):
        check_checkpoint(ckpt, None, overwrite=False)
    check_checkpoint(ckpt, ckpt, overwrite=False)      # continuing that run
    check_checkpoint(ckpt, None, overwrite=True)       # asked to replace it
    check_checkpoint(tmp_path / "new.pt", None, overwrite=False)


def test_train_command_refuses_before_training(tmp_path, monkeypatch, capsys):
    from app.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "m").mkdir(parents=True)
    (tmp_path / "runs" / "m" / "last.pt").write_bytes(b"an earlier run")
    code = main(["train", "--out", "m.safetensors", "--synthetic", "8", "--epochs", "1"])
    assert code == 2 and "holds the checkpoint of an earlier run" in capsys.readouterr().err
    assert (tmp_path / "runs" / "m" / "last.pt").read_bytes() == b"an earlier run"
    assert not (tmp_path / "m.safetensors").exists()


def test_weights_taken_while_training_are_kept_and_the_model_written_beside(tmp_path):
    loaded = varied_loaded()
    out = tmp_path / "model.safetensors"
    out.write_bytes(b"another run finished first")
    logs: list[str] = []
    path = save_model(out, loaded.model, loaded.meta, overwrite=False, log=logs.append)
    assert path == tmp_path / "model_2.safetensors" and path.is_file() and (tmp_path / "model_2.json").is_file()
    assert out.read_bytes() == b"another run finished first" and not (tmp_path / "model.json").exists()
    assert any("it was kept" in line for line in logs)


def test_a_card_taken_while_the_weights_were_written_leaves_both_names_as_they_were(tmp_path, monkeypatch):
    from app.checkpoints import native

    loaded = varied_loaded()
    card = tmp_path / "model.json"
    real_publish = native.publish

    def publish_while_another_program_writes_the_card(temp, target, overwrite=True):
        real_publish(temp, target, overwrite)
        if target.suffix == ".safetensors":
            card.write_text("another program's card")
    monkeypatch.setattr(native, "publish", publish_while_another_program_writes_the_card)
    with pytest.raises(FileExistsError):
        native.save_native(tmp_path / "model.safetensors", loaded.model, loaded.meta, overwrite=False)
    assert card.read_text() == "another program's card"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]  # no weights without their card


def test_a_fifo_named_classes_json_fails_generate_fast(tmp_path):
    os.mkfifo(tmp_path / "classes.json")
    outcome: dict = {}

    def run() -> None:
        try:
            write_scenes(tmp_path, [1], (32, 32))
        except SceneWriteError as exc:
            outcome["error"] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():  # the bug: blocked on the FIFO; give it a writer so the thread ends
        os.close(os.open(tmp_path / "classes.json", os.O_WRONLY | os.O_NONBLOCK))
    assert not thread.is_alive() and "named pipe" in str(outcome.get("error"))


def test_a_fifo_named_classes_json_in_the_training_data_is_named(tmp_path):
    """It was skipped (is_file() is False for a FIFO) and the classes silently guessed from the labels."""
    import numpy as np
    from PIL import Image

    from app.training import data as D
    from app.training.recipe import Recipe
    from app.training.train import _classes_for

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    Image.fromarray(np.ones((8, 8), np.uint8)).save(tmp_path / "labels" / "a.png")
    os.mkfifo(tmp_path / "classes.json")
    with pytest.raises(D.DataError, match="classes.json: is a named pipe"):
        _classes_for(Recipe(data=str(tmp_path), synthetic=None))


def test_a_full_disk_during_training_is_a_sentence_not_a_traceback(tmp_path, monkeypatch, capsys):
    import errno

    from app.cli import main

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "runs" / "m" / "last.pt"))
    monkeypatch.setattr("app.training.train.train", disk_full)
    monkeypatch.chdir(tmp_path)
    code = main(["train", "--out", "m.safetensors", "--synthetic", "8", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "could not write" in err and "No space left on device" in err and "--resume" in err
