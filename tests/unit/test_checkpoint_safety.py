"""Bad weights files: each is refused with one clear CheckpointError, nothing runs,
nothing is half-loaded."""

from __future__ import annotations

import os
import pickle
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

from app.checkpoints import CheckpointError, load_checkpoint

SEMSEG_NAMES = [(r"backbone\.stem\.", "layer0."), (r"backbone\.(layer\d)\.", r"\1."),
                (r"ppm\.branches\.(\d+)\.conv\.", r"ppm.features.\1.1."),
                (r"ppm\.branches\.(\d+)\.bn\.", r"ppm.features.\1.2."),
                (r"head\.conv\.", "cls.0."), (r"head\.bn\.", "cls.1."),
                (r"head\.classifier\.", "cls.4.")]


def semseg_named(model) -> "OrderedDict[str, torch.Tensor]":
    """A model's weights under semseg's key names (a small stand-in for a real file)."""
    out = OrderedDict()
    for key, value in model.state_dict().items():
        for pattern, repl in SEMSEG_NAMES:
            key, n = re.subn("^" + pattern, repl, key)
            if n:
                break
        out["module." + key] = value.clone()
    return out


class WritesFile:
    """Unpickling this would create a file (the attack a weights_only load must stop)."""

    def __init__(self, target: str, how: str) -> None:
        self.target, self.how = target, how

    def __reduce__(self):
        if self.how == "open":
            return (open, (self.target, "w"))
        return (os.system, (f"touch {self.target}",))


class MessageHub:  # stands in for mmengine's object in mmseg 1.x training checkpoints
    def __init__(self) -> None:
        self.log = {"loss": 1.0}


@pytest.mark.parametrize("how", ["open", "system"])
@pytest.mark.parametrize("zipfile_format", [True, False])
def test_hostile_pickle_is_refused_and_leaves_no_file(tmp_path, how, zipfile_format):
    target = tmp_path / "pwned.txt"
    path = tmp_path / "hostile.pth"
    torch.save({"state_dict": {"layer0.0.weight": torch.zeros(1)}, "x": WritesFile(str(target), how)},
               path, _use_new_zipfile_serialization=zipfile_format)
    with pytest.raises(CheckpointError, match="arbitrary Python objects") as info:
        load_checkpoint(path)
    assert str(path) in str(info.value)
    assert not target.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_plain_pickle_without_torch_wrapper_is_refused(tmp_path):
    target = tmp_path / "pwned.txt"
    path = tmp_path / "raw.pth"
    path.write_bytes(pickle.dumps(WritesFile(str(target), "open")))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not target.exists()


def test_mmseg_1x_message_hub_is_refused_with_its_name(tmp_path, tiny_model):
    path = tmp_path / "iter_160000.pth"
    torch.save({"meta": {}, "state_dict": tiny_model.state_dict(), "message_hub": MessageHub()}, path)
    with pytest.raises(CheckpointError, match="arbitrary Python objects.*MessageHub"):
        load_checkpoint(path)


def test_numpy_scalars_in_meta_are_plain_data(tmp_path, tiny_model):
    path = tmp_path / "m.pth"
    sd = semseg_named(tiny_model)
    torch.save({"epoch": 3, "state_dict": sd, "meta": {"best": np.float64(0.42), "it": np.int64(5)}},
               path)
    loaded = load_checkpoint(path)
    assert loaded.meta.format == "semseg"


@pytest.mark.parametrize("name, content, expected", [
    ("empty.pth", b"", "empty"),
    ("text.pth", b"these are not weights\n", "not a PyTorch checkpoint"),
    ("random.pth", bytes(range(256)) * 40, "not a PyTorch checkpoint|corrupt"),
])
def test_files_that_are_not_checkpoints(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=expected) as info:
        load_checkpoint(path)
    assert name in str(info.value)


def test_truncated_checkpoint(tmp_path, tiny_model):
    whole = tmp_path / "whole.pth"
    torch.save({"state_dict": semseg_named(tiny_model)}, whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated") as info:
        load_checkpoint(cut)
    assert "cut.pth" in str(info.value)


def test_a_card_alone_is_not_weights(tmp_path):
    (tmp_path / "model.json").write_text("{}")
    with pytest.raises(CheckpointError, match="model card, not weights"):
        load_checkpoint(tmp_path / "model.json")


def test_missing_path_and_folder_without_pair(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pth")
    with pytest.raises(CheckpointError, match="no weights.*encoder_epoch_N"):
        load_checkpoint(tmp_path)


def test_half_a_csail_pair(tmp_path):
    torch.save({"conv1.weight": torch.zeros(1)}, tmp_path / "encoder_epoch_20.pth")
    with pytest.raises(CheckpointError, match="decoder_epoch_20.pth is missing"):
        load_checkpoint(tmp_path / "encoder_epoch_20.pth")
    with pytest.raises(CheckpointError, match="only half of a CSAIL pair"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize("content, expected", [
    ({"epoch": 5, "optimizer": {"state": {}}}, "dict without weights"),
    ([1, 2, 3], "list, not a dict of weights"),
    (torch.zeros(3), "single tensor"),
    ({"model": {"blocks.0.attn.qkv.weight": torch.zeros(2)}}, "unknown layout.*blocks.0.attn"),
])
def test_readable_files_that_are_not_pspnet(tmp_path, content, expected):
    path = tmp_path / "x.pth"
    torch.save(content, path)
    with pytest.raises(CheckpointError, match=expected):
        load_checkpoint(path)


def test_classifier_weights_are_named_as_such(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    path = tmp_path / "resnet50-0676ba61.pth"
    torch.save(torchvision.models.resnet50().state_dict(), path)
    with pytest.raises(CheckpointError, match="image classifier") as info:
        load_checkpoint(path)
    assert path.name in str(info.value)


def test_shape_mismatch_lists_the_file_key(tmp_path, tiny_model):
    sd = semseg_named(tiny_model)
    sd["module.layer2.0.conv2.weight"] = torch.zeros(3, 3, 3, 3)
    path = tmp_path / "bad.pth"
    torch.save({"state_dict": sd}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "wrong shape" in message and "layer2.0.conv2.weight (3, 3, 3, 3)" in message
    assert "Nothing was loaded" in message


def test_missing_and_unexpected_keys_are_listed(tmp_path, tiny_model):
    sd = semseg_named(tiny_model)
    del sd["module.cls.1.running_var"]
    sd["module.layer1.0.extra.weight"] = torch.zeros(2)
    for i in range(12):
        sd[f"module.junk{i}"] = torch.zeros(1)
    path = tmp_path / "odd.pth"
    torch.save({"state_dict": sd}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "1 missing" in message and "head.bn.running_var" in message
    assert "13 unexpected" in message and "layer1.0.extra.weight" in message
    assert "and 3 more" in message  # long lists are cut, with the count


def test_every_key_of_a_valid_small_file_loads(tmp_path, tiny_model):
    path = tmp_path / "ok.pth"
    torch.save({"epoch": 1, "state_dict": semseg_named(tiny_model), "optimizer": {}}, path)
    loaded = load_checkpoint(path)
    for key, value in tiny_model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[key], value), key


def test_error_forms():
    named = CheckpointError("/x/w.pth", "the file is empty.")
    assert str(named) == "Cannot load weights from /x/w.pth: the file is empty."
    assert named.path.name == "w.pth" and isinstance(named, ValueError)
    assert str(CheckpointError("plain sentence")) == "plain sentence"


def test_a_folder_that_cannot_be_listed_is_a_checkpoint_error(tmp_path, monkeypatch):
    """`info FOLDER` on an unreadable folder ended in a PermissionError traceback."""
    from pathlib import Path

    real = Path.iterdir

    def denied(self):
        if self == tmp_path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)
    monkeypatch.setattr(Path, "iterdir", denied)
    with pytest.raises(CheckpointError, match="cannot be listed \\(Permission denied\\)"):
        load_checkpoint(tmp_path)
