"""The project's own format (safetensors + JSON card) and cards beside any checkpoint."""

from __future__ import annotations

import json

import pytest
import torch

import tiny_layouts as tl
from app.checkpoints import CheckpointError, ModelMeta, load_checkpoint, save_native
from app.checkpoints.meta import Normalization, ProtocolSettings
from app.classes import ClassInfo, generic_classes

NAMES = ["sky", "road", "tree", "car", "person"]
COLORS = [(10, 20, 30), (40, 50, 60), (70, 80, 90), (100, 110, 120), (130, 140, 150)]


def assert_same_network(converted, original, x) -> None:
    """Identical weights, bit for bit and in the same layout; outputs equal within float
    tolerance, since oneDNN may pick another summation order for another CPU or thread
    count (the outputs of one model differ in the fourth decimal between such runs)."""
    want = original.state_dict()
    got = converted.state_dict()
    assert list(got) == list(want)
    for key, value in want.items():
        assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
        assert torch.equal(got[key], value), key
        assert got[key].is_contiguous() == value.is_contiguous(), key
    with torch.no_grad():
        expected, actual = original.eval()(x), converted.eval()(x)
    scale = float(expected.abs().max())
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4 * max(scale, 1.0))


def _meta(cfg, **changes) -> ModelMeta:
    meta = ModelMeta(
        format="native", architecture=cfg, classes=ClassInfo.from_lists(NAMES, COLORS, "custom", "Scenes"),
        normalization=Normalization((120.0, 110.0, 100.0), (50.0, 55.0, 60.0)),
        protocols={"fast": ProtocolSettings("fast", base_size=256, resize_side="short", max_long=512),
                   "official": ProtocolSettings("official", base_size=256, crop_size=161, flip=True)},
        name="tiny scenes",
        card={"training": {"recipe": {"epochs": 3, "lr": 0.01}, "command": "main.py train"},
              "metrics": {"val_miou": 0.61}})
    for key, value in changes.items():
        setattr(meta, key, value)
    return meta


def test_round_trip_keeps_weights_and_every_card_field(tmp_path, tiny_model, tiny_config):
    weights = save_native(tmp_path / "scenes", tiny_model, _meta(tiny_config))
    assert weights == tmp_path / "scenes.safetensors"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenes.json", "scenes.safetensors"]
    card = json.loads((tmp_path / "scenes.json").read_text())
    assert card["format_version"] == 1 and card["architecture"] == tiny_config.to_dict()
    assert card["training"]["command"] == "main.py train" and card["metrics"]["val_miou"] == 0.61

    loaded = load_checkpoint(weights)
    meta = loaded.meta
    assert meta.format == "native" and meta.architecture == tiny_config
    assert meta.name == "tiny scenes" and list(meta.classes.names) == NAMES
    assert meta.classes.colors == tuple(COLORS) and meta.classes.title == "Scenes"
    assert meta.normalization == Normalization((120.0, 110.0, 100.0), (50.0, 55.0, 60.0))
    assert meta.protocol("fast") == ProtocolSettings("fast", 256, "short", 512)
    assert meta.protocol("official").crop_size == 161
    assert meta.card["training"]["recipe"] == {"epochs": 3, "lr": 0.01}
    assert_same_network(loaded.model, tiny_model, torch.randn(1, 3, 41, 41))
    # Saving what was loaded gives the same card back (no load-time bookkeeping leaks in).
    again = save_native(tmp_path / "copy.safetensors", loaded.model, loaded.meta)
    assert json.loads(again.with_suffix(".json").read_text()) == card


def test_failed_save_leaves_existing_files_untouched(tmp_path, tiny_model, tiny_config):
    weights = save_native(tmp_path / "m.safetensors", tiny_model, _meta(tiny_config))
    before = (weights.read_bytes(), weights.with_suffix(".json").read_bytes())
    bad = _meta(tiny_config, card={"training": {"not json": object()}})
    with pytest.raises(TypeError):
        save_native(weights, tiny_model, bad)
    assert (weights.read_bytes(), weights.with_suffix(".json").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.safetensors"]


def test_native_problems_are_clear(tmp_path, tiny_model, tiny_config):
    weights = save_native(tmp_path / "m", tiny_model, _meta(tiny_config))
    card_path = weights.with_suffix(".json")
    card = json.loads(card_path.read_text())

    card_path.write_text(json.dumps({**card, "architecture": {**card["architecture"], "num_classes": 7}}))
    with pytest.raises(CheckpointError, match=r"wrong shape.*head\.classifier\.weight"):
        load_checkpoint(weights)
    card_path.write_text("{not json")
    with pytest.raises(CheckpointError, match=r"m\.json.*not valid JSON"):
        load_checkpoint(weights)
    card_path.unlink()
    with pytest.raises(CheckpointError, match="m.json is missing"):
        load_checkpoint(weights)
    card_path.write_text(json.dumps(card))
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="not valid safetensors"):
        load_checkpoint(weights)


def test_card_beside_a_semseg_file_overrides_metadata(tmp_path, tiny_model):
    path = tl.write_semseg(tmp_path / "train_epoch_7.pth", tiny_model)
    plain = load_checkpoint(path)
    assert plain.meta.classes.dataset == "generic" and plain.meta.format == "semseg"
    card = {"name": "my semseg", "classes": ClassInfo.from_lists(NAMES, COLORS).to_dict(),
            "normalization": {"mean": [1, 2, 3], "std": [4, 5, 6]},
            "protocols": {"fast": {"base_size": 640}}, "metrics": {"val_miou": 0.5}}
    path.with_suffix(".json").write_text(json.dumps(card))
    loaded = load_checkpoint(path)
    assert loaded.meta.format == "semseg" and loaded.meta.name == "my semseg"
    assert list(loaded.meta.classes.names) == NAMES
    assert loaded.meta.normalization.mean == (1.0, 2.0, 3.0)
    fast = loaded.meta.protocol("fast")
    assert fast.base_size == 640 and fast.resize_side == plain.meta.protocol("fast").resize_side
    assert loaded.meta.protocol("official") == plain.meta.protocol("official")
    assert loaded.meta.card["metrics"] == {"val_miou": 0.5}


def test_card_with_wrong_class_count_is_refused(tmp_path, tiny_model):
    path = tl.write_semseg(tmp_path / "w.pth", tiny_model)
    path.with_suffix(".json").write_text(json.dumps({"classes": generic_classes(3).to_dict()}))
    with pytest.raises(CheckpointError, match=r"w\.json.*3 classes but the model has 5"):
        load_checkpoint(path)


def test_card_in_a_csail_folder(tmp_path, tiny_model):
    folder = tl.write_csail(tmp_path / "pair", tiny_model)
    (folder / "card.json").write_text(json.dumps({"name": "pair", "classes":
                                                  ClassInfo.from_lists(NAMES, COLORS).to_dict()}))
    loaded = load_checkpoint(folder / "decoder_epoch_20.pth")
    assert loaded.meta.format == "csail" and loaded.meta.name == "pair"
    assert list(loaded.meta.classes.names) == NAMES


def test_published_file_converts_to_native(tmp_path, tiny_model):
    loaded = load_checkpoint(tl.write_mmseg(tmp_path / "mm.pth", tiny_model))
    weights = save_native(tmp_path / "converted", loaded.model, loaded.meta)
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["converted_from"]["format"] == "mmseg"
    again = load_checkpoint(weights)
    assert again.meta.architecture == loaded.meta.architecture
    assert again.meta.protocols == loaded.meta.protocols
    assert_same_network(again.model, loaded.model, torch.randn(1, 3, 33, 33))


def test_generated_palette_numbers_are_written_as_plain_json(tmp_path, tiny_model, tiny_config):
    classes = ClassInfo.from_lists(NAMES, None)  # palette generated with NumPy
    weights = save_native(tmp_path / "g", tiny_model, _meta(tiny_config, classes=classes))
    assert load_checkpoint(weights).meta.classes.colors == tuple(tuple(int(v) for v in c)
                                                                 for c in classes.colors)
