"""ResNet-18/34 (BasicBlock) backbones dilate their second conv as each project does.

mmsegmentation's BasicBlock builds conv2 with padding 1 and no dilation; CSAIL's
``_nostride_dilate`` halves only the strided conv of a stage's first block and sets every
other 3x3 conv (conv2 of the first block too) to the stage's rate; this project's own
compact models dilate both convs alike. Measured against the published code itself
(mmseg 1.2.2 ResNetV1c-18, mit_semseg 1.0.0 resnet18dilated, random weights): the
backbone outputs are equal to 0.0 with these rules, and 66 % / 90 % of labels agreed
before them.
"""

from __future__ import annotations

import pytest

from app.model import PSPNetConfig, build_pspnet

# (stage, block) -> (conv1 dilation, conv2 dilation), for layer3 (rate 2) and layer4 (rate 4)
PUBLISHED = {
    "none": {(3, 0): (1, 1), (3, 1): (2, 1), (4, 0): (2, 1), (4, 1): (4, 1)},   # mmseg, contracted
    "stage": {(3, 0): (1, 2), (3, 1): (2, 2), (4, 0): (2, 4), (4, 1): (4, 4)},  # CSAIL, contracted
    "block": {(3, 0): (2, 2), (3, 1): (2, 2), (4, 0): (4, 4), (4, 1): (4, 4)},  # this project, full
}


def _dilations(cfg: PSPNetConfig) -> dict[tuple[int, int], tuple[int, int]]:
    backbone = build_pspnet(cfg).backbone
    out = {}
    for stage in (3, 4):
        for index, block in enumerate(getattr(backbone, f"layer{stage}")):
            assert block.conv1.padding == block.conv1.dilation and block.conv2.padding == block.conv2.dilation
            out[(stage, index)] = (block.conv1.dilation[0], block.conv2.dilation[0])
    return out


@pytest.mark.parametrize("rule", ["none", "stage", "block"])
def test_each_rule_dilates_conv2_as_its_project_does(rule):
    cfg = PSPNetConfig(num_classes=3, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                       ppm_channels=8, head_channels=16, contract_dilation=(rule != "block"),
                       basic_conv2_dilation=rule)
    assert _dilations(cfg) == PUBLISHED[rule]


def test_the_rule_round_trips_through_a_card_and_old_cards_keep_the_projects_rule():
    cfg = PSPNetConfig(num_classes=3, backbone="resnet18", basic_conv2_dilation="none")
    assert PSPNetConfig.from_dict(cfg.to_dict()) == cfg
    old = cfg.to_dict()
    del old["basic_conv2_dilation"]  # a card written before the field existed
    assert PSPNetConfig.from_dict(old).basic_conv2_dilation == "block"
    with pytest.raises(ValueError, match="basic_conv2_dilation"):
        PSPNetConfig(num_classes=3, basic_conv2_dilation="half")


def test_the_published_loaders_choose_their_projects_rule(tmp_path):
    import torch

    import tiny_layouts as tl
    from app.checkpoints import load_checkpoint

    torch.manual_seed(0)
    source = build_pspnet(PSPNetConfig(num_classes=3, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                                       ppm_channels=8, head_channels=16, contract_dilation=True, align_corners=False))
    loaded = load_checkpoint(tl.write_mmseg(tmp_path / "r18.pth", source))
    assert loaded.meta.architecture.basic_conv2_dilation == "none"
    assert _dilations(loaded.meta.architecture) == PUBLISHED["none"]
    csail = load_checkpoint(tl.write_csail(tmp_path / "csail", source))
    assert csail.meta.architecture.basic_conv2_dilation == "stage"
    assert _dilations(csail.meta.architecture) == PUBLISHED["stage"]
