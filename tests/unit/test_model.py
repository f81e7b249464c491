"""The network's structure matches the published layouts and its capture is exact."""

import torch

from app.model import PSPNetConfig, build_pspnet, count_parameters


def test_resnet50_semseg_layout_matches_reference_counts():
    # hszhao/semseg PSPNet-50, 150 classes, with aux: 370 tensors, 49,180,908 parameters.
    model = build_pspnet(PSPNetConfig(150, aux=True))
    assert len(model.state_dict()) == 370
    assert count_parameters(model) == 49_180_908


def test_mmseg_stem_and_contracted_dilation():
    model = build_pspnet(PSPNetConfig(150, stem_widths=(32, 32, 64), contract_dilation=True))
    assert model.backbone.stem[0].weight.shape == (32, 3, 3, 3)
    assert model.backbone.layer1[0].conv1.weight.shape == (64, 64, 1, 1)
    assert model.backbone.layer3[0].conv2.dilation == (1, 1)
    assert model.backbone.layer3[1].conv2.dilation == (2, 2)
    assert model.backbone.layer4[0].conv2.dilation == (2, 2)
    assert model.backbone.layer4[2].conv2.dilation == (4, 4)


def test_full_dilation_dilates_every_block():
    model = build_pspnet(PSPNetConfig(21))
    assert all(b.conv2.dilation == (2, 2) for b in model.backbone.layer3)
    assert all(b.conv2.dilation == (4, 4) for b in model.backbone.layer4)


def test_capture_comes_from_the_same_pass(tiny_model):
    x = torch.randn(2, 3, 57, 73)
    with torch.no_grad():
        plain = tiny_model(x)
        logits, cap = tiny_model.forward_with_capture(x)
    torch.testing.assert_close(plain, logits)
    assert logits.shape == (2, 5, 57, 73)
    assert cap.features.shape[2:] == (8, 10)  # output stride 8, ceil
    assert [p.shape[-1] for p in cap.pooled] == [1, 2, 3, 6]
    assert all(u.shape[2:] == cap.features.shape[2:] for u in cap.upsampled)
    # the head, fed the captured parts, reproduces the logits
    with torch.no_grad():
        again = tiny_model.upsample_logits(tiny_model.head_from_parts([cap.features, *cap.upsampled]), (57, 73))
    torch.testing.assert_close(again, logits)


def test_head_conv_parts_sum_to_the_full_response(tiny_model):
    x = torch.randn(1, 3, 49, 49)
    with torch.no_grad():
        _, cap = tiny_model.forward_with_capture(x)
        parts = [cap.features, *cap.upsampled]
        full = tiny_model.head.conv(torch.cat(parts, dim=1))
        summed = sum(tiny_model.head_conv_parts(parts))
    torch.testing.assert_close(summed, full, rtol=1e-4, atol=1e-5)


def test_no_capture_returns_none(tiny_model):
    with torch.no_grad():
        _, cap = tiny_model.forward_with_capture(torch.randn(1, 3, 33, 33), capture=False)
    assert cap is None
