"""A tiny training run: the loss falls, a loadable model + card are written, resume works."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from app.training import data as D
from app.training.checkpoint import ResumeError, load_training_state
from app.training.recipe import Recipe, poly_lr
from app.training.train import train

TINY = dict(synthetic=16, val_count=4, test_count=4, size=(64, 48), backbone="resnet18",
            base_width=4, batch_size=4, lr=0.01, warmup_iters=2, workers=1, threads=1,
            device="cpu", context_dropout=0.1)


@pytest.fixture(autouse=True)
def restore_threads():
    """train() sets torch's (process-wide) thread count; put it back for other tests."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_poly_schedule_warms_up_then_decays_to_zero():
    assert poly_lr(1.0, 0, 100, 0.9, 10) == pytest.approx(0.1)
    assert poly_lr(1.0, 10, 100, 0.9, 10) == pytest.approx((1 - 0.1) ** 0.9)
    assert poly_lr(1.0, 100, 100, 0.9, 10) == 0.0


def test_seed_ranges_never_overlap_the_held_out_scenes():
    train_s = D.train_seeds(D.MAX_SEED, D.MAX_SCENES)
    val_s = D.val_seeds(D.MAX_SEED, D.SEED_STRIDE)
    assert max(train_s) < D.VAL_SEED_BASE <= min(val_s)
    assert max(val_s) < D.HELDOUT_SEED_BASE
    assert not set(D.train_seeds(1, 10)) & set(D.train_seeds(0, D.MAX_SCENES))
    with pytest.raises(ValueError, match="--seed"):
        D.train_seeds(D.MAX_SEED + 1, 10)


def test_tiny_training_learns_writes_a_loadable_model_and_resumes(tmp_path):
    from app.checkpoints import load_checkpoint

    logs: list[str] = []
    out, ckpt = tmp_path / "tiny.safetensors", tmp_path / "run" / "last.pt"
    recipe = Recipe(epochs=3, **TINY)
    path = train(recipe, out, ckpt, "test", log=logs.append)
    state = load_training_state(ckpt)
    losses = [h["loss"] for h in state["history"]]
    assert len(losses) == 3 and losses[-1] < losses[0], losses
    assert any("ETA" in line for line in logs) and any("validation mIoU" in line for line in logs)

    loaded = load_checkpoint(path)
    assert loaded.meta.format == "native" and loaded.meta.num_classes == 12
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["training"]["recipe"]["epochs"] == 3
    metrics = card["metrics"]
    assert set(metrics["pooled_branches_off"]["per_class_iou"]) == set(loaded.meta.classes.names)
    assert metrics["cpu_ms_per_512px_image"] > 0
    assert loaded.meta.protocols["fast"].base_size == 64

    # Resuming a finished 3-epoch run for 4 epochs: only epoch 4 runs, from the saved state.
    state["recipe"]["epochs"] = 4
    torch.save(state, ckpt)
    logs.clear()
    train(Recipe(**TINY), tmp_path / "resumed.safetensors", ckpt, "test", resume=ckpt, log=logs.append)
    assert any("resuming" in line for line in logs)
    assert sum(line.startswith("epoch 4/4") for line in logs) >= 1
    assert not any(line.startswith("epoch 1/") for line in logs)
    assert [h["epoch"] for h in load_training_state(ckpt)["history"]] == [1, 2, 3, 4]


def test_training_is_deterministic_for_a_seed(tmp_path):
    a = train(Recipe(epochs=1, **TINY), tmp_path / "a.safetensors", tmp_path / "a.pt", "t", log=lambda m: None)
    b = train(Recipe(epochs=1, **TINY), tmp_path / "b.safetensors", tmp_path / "b.pt", "t", log=lambda m: None)
    from safetensors.torch import load_file

    ta, tb = load_file(str(a)), load_file(str(b))
    assert all(torch.equal(ta[k], tb[k]) for k in ta)


def test_resume_rejects_a_file_that_is_not_a_training_checkpoint(tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save({"weights": torch.zeros(1)}, bad)
    with pytest.raises(ResumeError, match="bad.pt"):
        load_training_state(bad)


def test_folder_data_is_checked_with_clear_messages(tmp_path):
    from PIL import Image

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    Image.fromarray(np.full((8, 8), 40, np.uint8)).save(tmp_path / "labels" / "a.png")
    with pytest.raises(D.DataError, match="a.png: label value 40"):
        D.folder_dataset(tmp_path, (8, 8), num_classes=12)
    with pytest.raises(D.DataError, match="folder not found"):
        D.folder_pairs(tmp_path / "nothing")


def test_train_command_on_a_folder_of_generated_scenes(tmp_path, capsys):
    """`generate` output is valid `train --data` input; bad arguments exit 2 with a message."""
    from app.checkpoints import load_checkpoint
    from app.cli import main

    data = tmp_path / "data"
    assert main(["generate", "--out", str(data), "--count", "10", "--seed", "3", "--size", "64x48"]) == 0
    out = tmp_path / "folder.safetensors"
    assert main(["train", "--data", str(data), "--crop", "64x48", "--base-width", "4", "--epochs", "1",
                 "--batch-size", "4", "--threads", "1", "--out", str(out),
                 "--checkpoint", str(tmp_path / "f.pt")]) == 0
    loaded = load_checkpoint(out)
    assert loaded.meta.classes.names[0] == "sky"  # read from the folder's classes.json
    with pytest.raises(SystemExit) as exit_:  # a range is argparse's usage error
        main(["train", "--epochs", "0", "--out", str(out)])
    assert exit_.value.code == 2 and "--epochs" in capsys.readouterr().err
    assert main(["train", "--epochs", "2", "--low-res-epochs", "2", "--out", str(out)]) == 2
    assert "--low-res-epochs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--input-scale", "9", "--out", str(out)])
    assert exit_.value.code == 2 and "--input-scale" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "new.safetensors"),
                 "--threads", "1"]) == 1
    assert "folder not found" in capsys.readouterr().err


def test_input_scale_trains_progressively_and_the_card_matches_the_engine(tmp_path):
    """--input-scale 1.5 --low-res-epochs 1: epoch 1 at the scenes' size, epoch 2 at 1.5x; the
    card's protocols resize to 1.5x, and its held-out numbers are what the engine gives."""
    from app.checkpoints import load_checkpoint
    from app.engine.metrics import IoUAccumulator
    from app.engine.segmenter import Segmenter
    from app.training.scenes import generate_scene

    logs: list[str] = []
    recipe = Recipe(epochs=2, input_scale=1.5, low_res_epochs=1, **TINY)
    path = train(recipe, tmp_path / "s.safetensors", tmp_path / "s.pt", "t", log=logs.append)
    assert any("from now on at the network input size 96x72" in line for line in logs)
    assert not any("network input size" in line and line.startswith("epoch 1:") for line in logs)

    loaded = load_checkpoint(path)
    assert loaded.meta.protocols["fast"].base_size == 96
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["training"]["recipe"]["input_scale"] == 1.5

    seg = Segmenter(loaded, device="cpu")
    acc = IoUAccumulator(loaded.meta.num_classes)
    for i in range(TINY["test_count"]):
        scene = generate_scene(D.HELDOUT_SEED_BASE + i, TINY["size"])
        result = seg.segment(scene.image)
        assert result.input_size == (72, 96)
        acc.add(result.labels, scene.labels)
    assert acc.summary()["mIoU"] == pytest.approx(card["metrics"]["test"]["mIoU"], abs=1e-6)


def test_scaled_inputs_are_the_engines_resized_pixels():
    from app.engine.resize import resize_image

    scene = D.generated_dataset([7], (64, 48))
    scaled = D.with_inputs(scene, (72, 96))
    assert scaled.inputs.shape == (1, 72, 96, 3) and scaled.labels.shape == (1, 48, 64)
    expected = resize_image(scene.images[0], 72, 96, round_to_uint8=True).permute(1, 2, 0)
    assert np.array_equal(scaled.inputs[0], expected.numpy().astype(np.uint8))
    assert D.with_inputs(scene, (48, 64)).inputs is None  # scale 1: the images themselves
