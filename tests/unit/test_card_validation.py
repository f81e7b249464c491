"""Model cards and checkpoint dicts from anywhere: every bad field is refused on load with a
message naming the field; nothing ends in a traceback."""

from __future__ import annotations

import json
import os
import re

import pytest
import torch

import tiny_layouts as tl
from app.checkpoints import CheckpointError, ModelMeta, load_checkpoint, save_native
from app.checkpoints.meta import ProtocolSettings
from app.classes import ClassInfo

NAMES = ["sky", "road", "tree", "car", "person"]


@pytest.fixture
def native(tmp_path, tiny_model, tiny_config):
    """A saved native model; returns (weights path, its card as a dict)."""
    meta = ModelMeta(format="native", architecture=tiny_config, classes=ClassInfo.from_lists(NAMES, None),
                     name="tiny", card={"notes": ["a note"], "metrics": {"val_miou": 0.5}},
                     protocols={"fast": ProtocolSettings("fast", base_size=64),
                                "official": ProtocolSettings("official", base_size=64, crop_size=33)})
    weights = save_native(tmp_path / "m.safetensors", tiny_model, meta)
    return weights, json.loads(weights.with_suffix(".json").read_text())


def _with(card: dict, dotted: str, value) -> dict:
    """A deep copy of ``card`` with the field at ``dotted`` (``a.b[2].c``) set to ``value``."""
    card = json.loads(json.dumps(card))
    *parents, last = dotted.replace("[", ".[").split(".")
    target = card
    for part in parents:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    if last.startswith("["):
        target[int(last[1:-1])] = value
    else:
        target[last] = value
    return card


BAD_FIELDS = [
    ("architecture.num_classes", 1e9, "must be a whole number"),
    ("architecture.num_classes", True, "must be a whole number, not true/false"),
    ("architecture.num_classes", 0, "must be between 1 and 65535"),
    ("architecture.base_width", -16, "must be between 1 and"),
    ("architecture.base_width", 16.5, "must be a whole number"),
    ("architecture.bins", [1, 2, 3, 1000], None),
    ("architecture.bins", [], "must have between 1 and 8 entries"),
    ("architecture.bins", list(range(1, 40)), "must have between 1 and 8 entries"),
    ("architecture.stem_widths", [8, 8], "must have between 3 and 3 entries"),
    ("architecture.align_corners", "no", "must be true or false"),
    ("architecture.backbone", "resnet9000", "must be one of"),
    ("notes", 5, "must be a list, not a whole number"),
    ("notes", [5], None),
    ("name", 5, "must be text"),
    ("name", "two\nlines", "must be one line of text"),
    ("metrics", [1, 2], "must be an object"),
    ("classes.classes[2].name", "tree\nline", "must be one line of text"),
    ("classes.classes[2].name", "", "is empty"),
    ("classes.classes[1].color", [300, 0, 0], None),
    ("classes.classes[1].color", [True, 0, 0], None),
    ("classes.ignore_index", "255", "must be a whole number"),
    ("protocols.fast.base_size", "640", "must be a whole number, not text"),
    ("protocols.official.scales", [1.0, -0.5], None),
    ("protocols.official.flip", "yes", "must be true or false"),
]


def _field_named(field: str, value) -> str:
    """The field path the message must name (list entries point at the bad element)."""
    if isinstance(value, list) and field.endswith(("bins", "color", "scales")) and value:
        for i, item in enumerate(value):
            if isinstance(item, bool) or item in (1000, 300) or (isinstance(item, float) and item < 0):
                return f"{field}[{i}]"
    if field == "notes" and value == [5]:
        return "notes[0]"
    return field


@pytest.mark.parametrize("field,value,words", BAD_FIELDS)
def test_a_bad_card_field_is_named(native, field, value, words):
    weights, card = native
    weights.with_suffix(".json").write_text(json.dumps(_with(card, field, value)))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(weights)
    message = str(info.value)
    assert f"field '{_field_named(field, value)}'" in message and "m.json" in message
    if words:
        assert words in message


@pytest.mark.parametrize("text,field", [("NaN", "normalization.std[1]"), ("Infinity", "normalization.mean[0]")])
def test_nan_normalisation_is_refused(native, text, field):
    weights, card = native
    index = int(field[-2])
    values = card["normalization"][field.split(".")[1][:-3]]
    values[index] = "__HERE__"
    weights.with_suffix(".json").write_text(json.dumps(card).replace('"__HERE__"', text))
    with pytest.raises(CheckpointError, match=re.escape(f"field '{field}' must be a finite number")):
        load_checkpoint(weights)


def test_deeply_nested_cards(native):
    weights, card = native
    weights.with_suffix(".json").write_text(json.dumps({**card, "training": {"x": json.loads("[" * 40 + "]" * 40)}}))
    with pytest.raises(CheckpointError, match="nested more than 32 levels deep"):
        load_checkpoint(weights)
    text = json.dumps(card)[:-1] + ', "training": ' + "[" * 200_000 + "]" * 200_000 + "}"
    weights.with_suffix(".json").write_text(text)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        load_checkpoint(weights)


def test_a_card_beside_a_published_file_is_checked_too(tmp_path, tiny_model):
    path = tl.write_semseg(tmp_path / "w.pth", tiny_model)
    classes = ClassInfo.from_lists(NAMES, None).to_dict()
    classes["classes"][0]["name"] = "sky\nwater"
    path.with_suffix(".json").write_text(json.dumps({"classes": classes}))
    with pytest.raises(CheckpointError, match=r"w\.json.*field 'classes\.classes\[0\]\.name'"):
        load_checkpoint(path)


@pytest.mark.timeout(30)
def test_a_card_that_is_a_fifo_fails_fast(native):
    weights, _ = native
    weights.with_suffix(".json").unlink()
    os.mkfifo(weights.with_suffix(".json"))
    with pytest.raises(CheckpointError, match="not a regular file"):
        load_checkpoint(weights)


def test_good_cards_still_load(native):
    weights, card = native
    loaded = load_checkpoint(weights)
    assert loaded.meta.name == "tiny" and loaded.meta.card["notes"] == ["a note"]
    assert list(loaded.meta.classes.names) == NAMES


@pytest.mark.parametrize("content", [{1: torch.zeros(2), 2: torch.zeros(2)}, {(1, 2): torch.zeros(2)},
                                     {"state_dict": {1: torch.zeros(2)}}, {None: torch.zeros(1)}])
def test_checkpoint_dicts_with_non_string_keys(tmp_path, content):
    torch.save(content, tmp_path / "odd.pth")
    with pytest.raises(CheckpointError, match="keys are not parameter names"):
        load_checkpoint(tmp_path / "odd.pth")


@pytest.mark.parametrize("meta,note", [({"CLASSES": 5}, "not a list of text"),
                                       ({"CLASSES": "abcde"}, "not a list of text"),
                                       ({"dataset_meta": {"classes": 3}}, "not a list of text"),
                                       ({"CLASSES": ["a\nb", "b", "c", "d", "e"]}, "not one line of text"),
                                       ({"CLASSES": NAMES, "PALETTE": 7}, None)])
def test_mmseg_meta_of_the_wrong_type_falls_back_with_a_note(tmp_path, tiny_model, meta, note):
    loaded = load_checkpoint(tl.write_mmseg(tmp_path / "mm.pth", tiny_model, meta))
    if note:
        assert loaded.meta.classes.names[0] == "class 0"
        assert any(note in n for n in loaded.meta.card["notes"])
    else:  # a palette of the wrong type is dropped, the names are kept
        assert list(loaded.meta.classes.names) == NAMES
