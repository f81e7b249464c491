"""The fast protocol (mmseg whole-image semantics), strip-wise resizing, devices."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings
from app.classes import generic_classes
from app.engine.device import DeviceError, resolve_device
from app.engine.fast import fast_input_size, labels_from_logits
from app.engine.resize import mmseg_keep_ratio_size, resize_image, resize_rows, rows_needed
from app.engine.segmenter import Segmenter
from app.model import PSPNetConfig, build_pspnet
from tests.engine_fixtures import block_image, varied_loaded
from tests.unit.reference_official import MEAN, STD, assert_labels_are_the_argmax


def test_size_rules():
    assert mmseg_keep_ratio_size(480, 640, 2048, 512) == (512, 683)
    assert mmseg_keep_ratio_size(100, 1000, 2048, 512) == (205, 2048)  # long side capped
    mm = ProtocolSettings(base_size=512, resize_side="short", max_long=2048)
    assert fast_input_size(480, 640, mm) == (512, 683)
    assert fast_input_size(480, 640, ProtocolSettings(base_size=512)) == (384, 512)
    # 'short' without max_long: long side at most 4x the base size
    assert fast_input_size(10, 1000, ProtocolSettings(base_size=16, resize_side="short")) == (1, 64)


@pytest.mark.parametrize("align_corners", [False, True])
def test_strip_resize_equals_interpolate(align_corners):
    x = torch.randn(3, 13, 17)
    ref = F.interpolate(x[None], (40, 9), mode="bilinear", align_corners=align_corners)[0]
    lo, hi = rows_needed(13, 40, 11, 29, align_corners)
    part = resize_rows(x[:, lo:hi], 40, 9, 11, 29, align_corners, in_h=13, row_offset=lo)
    torch.testing.assert_close(part, ref[:, 11:29], atol=1e-5, rtol=0)


def test_image_resize_is_interpolate_rounded_and_strip_size_free():
    image = block_image(37, 53, seed=1)
    ref = F.interpolate(torch.from_numpy(image).permute(2, 0, 1)[None].float(), (20, 31),
                        mode="bilinear", align_corners=False, antialias=False)[0]
    out = resize_image(image, 20, 31, round_to_uint8=False)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=0)
    rounded = resize_image(image, 20, 31, round_to_uint8=True, budget=1)  # one row per strip
    # OpenCV's fixed-point uint8 resize (test_cv_resize.py): integers within one of the float result
    assert torch.equal(rounded, rounded.round()) and (rounded - ref).abs().max() < 1.01


def test_labels_do_not_depend_on_the_strip_height():
    logits = torch.randn(6, 9, 12)
    big = labels_from_logits(logits, (70, 90), (123, 171), False, np.dtype(np.uint8))
    small = labels_from_logits(logits, (70, 90), (123, 171), False, np.dtype(np.uint8), budget=1)
    assert np.array_equal(big[0], small[0])
    np.testing.assert_allclose(big[1], small[1], rtol=1e-6)  # reduction order may differ


@pytest.mark.parametrize("align_corners", [False, True])
def test_fast_matches_mmseg_style_whole_inference(align_corners):
    loaded = varied_loaded(align_corners=align_corners)
    image = block_image(75, 110, seed=11)
    settings = ProtocolSettings(base_size=48, resize_side="short", max_long=96)
    result = Segmenter(loaded, "cpu").segment(image, settings)
    nh, nw = mmseg_keep_ratio_size(75, 110, 96, 48)
    assert result.input_size == (nh, nw)
    # Reference, written the plain way: uint8 resize (OpenCV's, checked in test_cv_resize.py),
    # normalise, forward, two full upsamplings.
    x = resize_image(image, nh, nw, round_to_uint8=True)[None]
    assert (x - F.interpolate(torch.from_numpy(image).permute(2, 0, 1)[None].float(), (nh, nw),
                              mode="bilinear", align_corners=False)).abs().max() < 1.01
    x = (x - torch.tensor(MEAN).float()[:, None, None]) / torch.tensor(STD).float()[:, None, None]
    with torch.no_grad():
        low = loaded.model(x, upsample=False)
    up = F.interpolate(low, (nh, nw), mode="bilinear", align_corners=align_corners)
    up = F.interpolate(up, (75, 110), mode="bilinear", align_corners=align_corners)[0]
    probs = assert_labels_are_the_argmax(result, up)
    np.testing.assert_allclose(result.confidence, probs.max(0), atol=1e-4)
    assert result.class_counts.sum() == 75 * 110
    assert result.class_counts.tolist() == np.bincount(result.labels.ravel(), minlength=5).tolist()


def test_capture_is_the_whole_image_pass_in_half_precision():
    loaded = varied_loaded()
    image = block_image(40, 64, seed=2)
    seg = Segmenter(loaded, "cpu")
    fast = seg.segment(image, ProtocolSettings(base_size=64), capture=True)
    cap = fast.activations
    assert cap is not None and cap.features.dtype == torch.float16 and cap.features.shape[0] == 1
    assert cap.features.device.type == "cpu" and fast.input_size == (40, 64)
    assert cap.features.shape[2:] == (5, 8)  # output stride 8
    official = seg.segment(image, ProtocolSettings("official", base_size=64, crop_size=33), capture=True)
    assert official.activations is not None and official.input_size == (40, 64)
    assert seg.segment(image).activations is None


def test_more_than_256_classes_give_uint16_labels():
    cfg = PSPNetConfig(num_classes=300, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                       ppm_channels=8, head_channels=16, align_corners=False)
    torch.manual_seed(0)
    model = build_pspnet(cfg)
    with torch.no_grad():
        model.head.classifier.bias.zero_()
        model.head.classifier.bias[299] = 50.0
    loaded = LoadedModel(model, ModelMeta("native", cfg, generic_classes(300)))
    result = Segmenter(loaded, "cpu").segment(block_image(20, 30, 0), ProtocolSettings(base_size=32))
    assert result.labels.dtype == np.uint16 and (result.labels == 299).all()
    assert result.class_counts.shape == (300,) and result.class_counts[299] == 600


def test_bad_input_is_refused_clearly():
    seg = Segmenter(varied_loaded(), "cpu")
    with pytest.raises(ValueError, match="uint8"):
        seg.segment(np.zeros((10, 10, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="precision"):
        Segmenter(varied_loaded(), "cpu", precision="fp8")


def test_device_names():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("CPU") == torch.device("cpu")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu9")
    if not torch.cuda.is_available():
        assert resolve_device("auto").type in ("cpu", "mps")
        with pytest.raises(DeviceError, match="CUDA is not available"):
            resolve_device("cuda:0")
    else:
        with pytest.raises(DeviceError, match="CUDA device"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")


def test_same_size_resize_is_exactly_the_rows_under_both_corner_rules():
    import torch

    from app.engine.resize import resize_rows

    src = torch.randn(4, 9, 7)
    for align in (False, True):
        full = torch.nn.functional.interpolate(src[None], size=(9, 7), mode="bilinear",
                                               align_corners=align)[0]
        assert torch.equal(resize_rows(src, 9, 7, 0, 9, align), src)
        assert torch.equal(full, src)
        # a band given with its offset
        assert torch.equal(resize_rows(src[:, 3:6], 9, 7, 3, 6, align, in_h=9, row_offset=3), src[:, 3:6])


def test_csail_size_rule_truncates_then_rounds_up_to_a_multiple_of_8():
    from app.engine.fast import csail_size

    def csail(h, w, short, max_long):  # CSAIL's TestDataset, written out
        scale = min(short / float(min(h, w)), max_long / float(max(h, w)))
        th, tw = int(h * scale), int(w * scale)
        return ((th - 1) // 8 + 1) * 8, ((tw - 1) // 8 + 1) * 8

    for h, w in [(375, 500), (333, 500), (480, 640), (100, 1000), (1024, 683), (449, 451)]:
        assert csail_size(h, w, 450, 1000) == csail(h, w, 450, 1000), (h, w)
    assert csail_size(375, 500, 450, 1000) == (456, 600)
    style = ProtocolSettings(base_size=450, resize_side="short", max_long=1000, style="csail")
    assert fast_input_size(375, 500, style) == (456, 600)
    with pytest.raises(ValueError, match="style"):
        ProtocolSettings(style="caffe")


@pytest.mark.parametrize("shrink", [True, False])
def test_csail_style_follows_csails_test_pipeline(shrink):
    """PIL's bilinear resize of the uint8 image (antialiased when shrinking), logits
    upsampled straight to the photo's size: what CSAIL's test code computes."""
    from PIL import Image

    from app.engine.fast import csail_size

    loaded = varied_loaded(align_corners=False)
    image = block_image(75, 110, seed=12)
    settings = ProtocolSettings(base_size=40 if shrink else 96, resize_side="short", max_long=200,
                                style="csail")
    result = Segmenter(loaded, "cpu").segment(image, settings, capture=True)
    nh, nw = csail_size(75, 110, settings.base_size, 200)
    assert result.input_size == (nh, nw) and nh % 8 == 0 and nw % 8 == 0
    assert result.capture_via_input is False
    pil = np.array(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
    x = torch.from_numpy(pil).permute(2, 0, 1)[None].float()
    x = (x - torch.tensor(MEAN).float()[:, None, None]) / torch.tensor(STD).float()[:, None, None]
    with torch.no_grad():
        low = loaded.model(x, upsample=False)
    up = F.interpolate(low, (75, 110), mode="bilinear", align_corners=False)[0]
    assert_labels_are_the_argmax(result, up)
    # ... and not what the standard (mmseg-style) pipeline gives at the same input size
    if shrink:
        plain = resize_image(image, nh, nw, round_to_uint8=True).permute(1, 2, 0).numpy()
        assert np.abs(plain - pil.astype(np.float32)).max() >= 2


def test_csail_checkpoints_get_the_csail_pipeline():
    from app.checkpoints.protocols import csail_protocols

    fast = csail_protocols(150)["fast"]
    assert (fast.style, fast.base_size, fast.max_long) == ("csail", 450, 1000)
    assert ProtocolSettings.from_dict(fast.to_dict()) == fast
    assert csail_protocols(150)["official"].style == "standard"
