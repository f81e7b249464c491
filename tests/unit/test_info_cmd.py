"""``main.py info WEIGHTS`` on each format, and on bad weights."""

from __future__ import annotations

import pytest

import tiny_layouts as tl
from app.checkpoints import ModelMeta, save_native
from app.classes import dataset_classes
from app.cli import main
from app.model import PSPNetConfig, build_pspnet, count_parameters


@pytest.fixture
def tiny_aux_model():
    cfg = PSPNetConfig(num_classes=21, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                       ppm_channels=8, head_channels=16, aux=True, aux_channels=8)
    return build_pspnet(cfg)


@pytest.mark.parametrize("fmt, title, resize", [
    ("semseg", "hszhao/semseg", "long side 512"),
    ("mmseg", "mmsegmentation", "short side 512 (long side at most 2048)"),
    ("csail", "CSAIL", "short side 450 (long side at most 1000)"),
    ("native", "PSPNet Studio", "long side 512"),
])
def test_info_describes_each_format(tmp_path, capsys, tiny_aux_model, fmt, title, resize):
    if fmt == "semseg":
        target = tl.write_semseg(tmp_path / "train_epoch_50.pth", tiny_aux_model)
    elif fmt == "mmseg":
        target = tl.write_mmseg(tmp_path / "psp.pth", tiny_aux_model)
    elif fmt == "csail":
        target = tl.write_csail(tmp_path / "pair", tiny_aux_model)
    else:
        meta = ModelMeta("native", tiny_aux_model.cfg, dataset_classes("voc2012"), name="voc tiny")
        target = save_native(tmp_path / "voc", tiny_aux_model, meta)
    assert main(["info", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"format:        {title}" in out and f"[{fmt}]" in out
    assert "ResNet-18 (width 8)" in out and "21 classes" in out
    total = count_parameters(tiny_aux_model)
    without_aux = total - count_parameters(tiny_aux_model.aux)
    assert f"parameters:    {total:,} ({without_aux:,} without" in out
    assert "PASCAL VOC 2012" in out and "background, aeroplane, bicycle" in out
    assert "mean (123.675, 116.28, 103.53)" in out
    assert f"fast         whole image, {resize}" in out
    assert "official     sliding 473x473 windows, long side 512, scales 1, flip on" in out


@pytest.mark.parametrize("content", [b"", b"garbage"])
def test_info_on_bad_weights_exits_2_without_traceback(tmp_path, capsys, content):
    path = tmp_path / "bad.pth"
    path.write_bytes(content)
    assert main(["info", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: Cannot load weights from") and "bad.pth" in captured.err
    assert "Traceback" not in captured.err


def test_info_on_missing_path(tmp_path, capsys):
    assert main(["info", str(tmp_path / "none.pth")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_info_lists_every_protocol_the_model_offers(tmp_path, tiny_aux_model):
    """What ``segment --protocol`` takes (ModelMeta.offered_protocols), also where the card
    names none: fast and official run on every model."""
    from app.checkpoints import load_checkpoint
    from app.cli.info_cmd import describe

    meta = ModelMeta("native", tiny_aux_model.cfg, dataset_classes("voc2012"), name="voc tiny")
    loaded = load_checkpoint(save_native(tmp_path / "voc", tiny_aux_model, meta))
    loaded.meta.protocols.clear()
    text = "\n".join(describe(loaded))
    assert "  fast         whole image" in text and "  official     sliding" in text
