"""The three published layouts, with their exact key names and shapes, load strictly
and compute what their own code computes (checked against an independent forward)."""

from __future__ import annotations

import pytest
import torch

import published_layouts as pl
import reference_forward as ref
from app.checkpoints import load_checkpoint
from app.classes import dataset_classes
from app.model import count_parameters
from tests.helpers import under_ci

# The key listings live in ../shared beside the checkout (CI always has it). Elsewhere the
# tests are skipped with the reason rather than failing on a missing file; under CI (the
# CI variable set) a missing listing fails every test here with that reason.
MISSING = f"reference key listings not found at {pl.REFERENCE} (../shared beside the checkout)"
pytestmark = pytest.mark.skipif(not pl.REFERENCE.is_dir() and not under_ci(), reason=MISSING)


@pytest.fixture(autouse=True)
def reference_listings():
    if not pl.REFERENCE.is_dir():
        pytest.fail(f"{MISSING}; under CI these tests must run", pytrace=False)

# (H-1) % 8 == 0, as semseg requires; small so ResNet-50 on the CPU stays quick.
INPUT = (1, 3, 65, 65)


def _assert_same_logits(loaded, state, names, contract, align):
    x = torch.randn(INPUT, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = ref.pspnet_logits(x, state, names, contract, align)
        actual = loaded.model(x)
    assert actual.shape == expected.shape == (1, loaded.meta.num_classes, 65, 65)
    assert torch.isfinite(expected).all() and expected.std() > 1e-3  # a forward worth comparing
    scale = expected.abs().max()
    assert (actual - expected).abs().max() <= 1e-4 * scale + 1e-5
    # The argmax labels agree too, and the wrong dilation scheme would not reproduce them.
    assert torch.equal(actual.argmax(1), expected.argmax(1))
    with torch.no_grad():
        other = ref.pspnet_logits(x, state, names, not contract, align)
    assert (other - expected).abs().max() > 1e-3 * scale


@pytest.fixture(scope="module")
def semseg50(tmp_path_factory):
    state = pl.random_state(pl.SEMSEG_50, seed=0)
    path = pl.save_semseg(tmp_path_factory.mktemp("semseg") / "train_epoch_100.pth", state)
    return path, state


def test_semseg_resnet50_loads_strictly_and_matches_reference(semseg50):
    path, state = semseg50
    loaded = load_checkpoint(path)
    cfg = loaded.meta.architecture
    assert loaded.meta.format == "semseg"
    assert (cfg.backbone, cfg.stem_widths, cfg.num_classes, cfg.aux, cfg.aux_channels) == (
        "resnet50", (64, 64, 128), 150, True, 256)
    assert cfg.contract_dilation is False and cfg.align_corners is True
    assert len(loaded.model.state_dict()) == len(state) == 370
    assert count_parameters(loaded.model) == 49_180_908
    assert loaded.meta.classes.dataset == "ade20k"
    fast, official = loaded.meta.protocol("fast"), loaded.meta.protocol("official")
    assert (fast.resize_side, fast.base_size) == ("long", 512)
    assert (official.crop_size, official.base_size, official.flip) == (473, 512, True)
    assert loaded.meta.card["training"]["epoch"] == 100
    # Every tensor of the file is in the model under its mapped name, values intact.
    sd = loaded.model.state_dict()
    assert torch.equal(sd["backbone.stem.6.weight"], state["layer0.6.weight"])
    assert torch.equal(sd["ppm.branches.3.bn.running_var"], state["ppm.features.3.2.running_var"])
    assert torch.equal(sd["aux.classifier.bias"], state["aux.4.bias"])
    _assert_same_logits(loaded, state, ref.SEMSEG, contract=False, align=True)


def test_mmseg_resnet50_0x_meta_loads_strictly_and_matches_reference(tmp_path):
    state = pl.random_state(pl.MMSEG_BACKBONE_50, pl.MMSEG_HEAD, pl.MMSEG_AUX, seed=2)
    ade = dataset_classes("ade20k")
    names = [f"{n} (mm)" for n in ade.names]  # the file's own names must win
    palette = [[(i * 7) % 256, (i * 13) % 256, (i * 29) % 256] for i in range(150)]
    path = pl.save_mmseg(tmp_path / "pspnet_r50-d8.pth", state, pl.mmseg_meta_0x(names, palette))
    loaded = load_checkpoint(path)
    cfg = loaded.meta.architecture
    assert loaded.meta.format == "mmseg"
    assert (cfg.backbone, cfg.stem_widths, cfg.num_classes, cfg.aux) == (
        "resnet50", (32, 32, 64), 150, True)
    assert cfg.contract_dilation is True and cfg.align_corners is False
    assert len(loaded.model.state_dict()) == len(state)
    assert list(loaded.meta.classes.names) == names
    assert loaded.meta.classes.palette.tolist() == palette
    fast = loaded.meta.protocol("fast")
    assert (fast.resize_side, fast.base_size, fast.max_long) == ("short", 512, 2048)
    _assert_same_logits(loaded, state, ref.MMSEG, contract=True, align=False)


def test_mmseg_1x_dataset_meta_without_counters(tmp_path):
    state = pl.random_state(pl.MMSEG_BACKBONE_50, pl.MMSEG_HEAD, seed=3, drop_counters=True)
    names = [f"c{i}" for i in range(150)]
    palette = [[i, 255 - i, 3] for i in range(150)]
    path = pl.save_mmseg(tmp_path / "m.pth", state, pl.mmseg_meta_1x(names, palette))
    loaded = load_checkpoint(path)
    assert loaded.meta.architecture.aux is False
    assert list(loaded.meta.classes.names) == names
    assert loaded.meta.classes.colors[5] == (5, 250, 3)
    sd = loaded.model.state_dict()
    assert int(sd["backbone.stem.1.num_batches_tracked"]) == 0
    assert torch.equal(sd["head.classifier.weight"], state["decode_head.conv_seg.weight"])


def test_mmseg_config_with_align_corners_true_is_honoured(tmp_path):
    state = pl.random_state(pl.MMSEG_BACKBONE_50, pl.MMSEG_HEAD, seed=4)
    meta = pl.mmseg_meta_0x([f"c{i}" for i in range(150)], [[0, 0, 0]] * 150, align_corners=True)
    loaded = load_checkpoint(pl.save_mmseg(tmp_path / "cs769.pth", state, meta))
    assert loaded.meta.architecture.align_corners is True


@pytest.mark.parametrize("given", ["folder", "encoder", "decoder"])
def test_csail_pair_loads_strictly_and_matches_reference(tmp_path, given):
    encoder = pl.random_state(pl.CSAIL_ENCODER_50, seed=5)
    decoder = pl.random_state(pl.CSAIL_DECODER_DEEPSUP, seed=6)
    enc, dec = pl.save_csail(tmp_path / "ade20k-resnet50dilated-ppm_deepsup", encoder, decoder)
    target = {"folder": enc.parent, "encoder": enc, "decoder": dec}[given]
    loaded = load_checkpoint(target)
    cfg = loaded.meta.architecture
    assert loaded.meta.format == "csail"
    assert (cfg.backbone, cfg.stem_widths, cfg.num_classes, cfg.aux, cfg.aux_channels) == (
        "resnet50", (64, 64, 128), 150, True, 512)
    assert cfg.contract_dilation is True and cfg.align_corners is False
    extras = sum(k.endswith(("_tmp_running_mean", "_tmp_running_var", "_running_iter"))
                 for k in [*encoder, *decoder])
    assert extras > 0
    assert len(loaded.model.state_dict()) == len(encoder) + len(decoder) - extras
    fast = loaded.meta.protocol("fast")
    assert (fast.resize_side, fast.base_size, fast.max_long) == ("short", 450, 1000)
    if given == "folder":
        _assert_same_logits(loaded, {**encoder, **decoder}, ref.CSAIL, contract=True, align=False)


def test_csail_folder_picks_highest_complete_epoch(tmp_path):
    encoder = pl.random_state(pl.CSAIL_ENCODER_50, seed=7)
    decoder = pl.random_state(pl.CSAIL_DECODER_PLAIN, seed=8)
    pl.save_csail(tmp_path, encoder, decoder, epoch=20)
    torch.save({"x": torch.zeros(1)}, tmp_path / "encoder_epoch_30.pth")  # half a pair: skipped
    loaded = load_checkpoint(tmp_path)
    assert loaded.meta.architecture.aux is False
    assert loaded.meta.card["files"] == ["encoder_epoch_20.pth", "decoder_epoch_20.pth"]


@pytest.mark.parametrize("layout", ["semseg", "mmseg", "csail"])
def test_resnet101_layouts_map_every_key(tmp_path, layout):
    if layout == "semseg":
        state = pl.random_state(pl.SEMSEG_101, seed=9)
        target = pl.save_semseg(tmp_path / "train_epoch_200.pth", state)
        count, stem, classes = len(state), (64, 64, 128), 19
    elif layout == "mmseg":
        state = pl.random_state(pl.MMSEG_BACKBONE_101, pl.MMSEG_HEAD, pl.MMSEG_AUX, seed=10)
        target = pl.save_mmseg(tmp_path / "r101.pth", state, {})
        count, stem, classes = len(state), (32, 32, 64), 150
    else:
        enc = pl.random_state(pl.CSAIL_ENCODER_101, seed=11)
        dec = pl.random_state(pl.CSAIL_DECODER_DEEPSUP, seed=12)
        target, _ = pl.save_csail(tmp_path, enc, dec)
        count = sum(not k.endswith(("_tmp_running_mean", "_tmp_running_var", "_running_iter"))
                    for k in [*enc, *dec])
        stem, classes = (64, 64, 128), 150
    loaded = load_checkpoint(target)
    cfg = loaded.meta.architecture
    assert (cfg.backbone, cfg.stem_widths, cfg.num_classes) == ("resnet101", stem, classes)
    assert len(loaded.model.state_dict()) == count
    if layout == "semseg":
        assert count_parameters(loaded.model) == 68_072_166
        assert loaded.meta.classes.dataset == "cityscapes"
        official = loaded.meta.protocol("official")
        assert (official.crop_size, official.base_size) == (713, 2048)
