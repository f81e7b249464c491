"""Agreement of the app's protocols with the published code itself (run by hand, never in CI).

    pip install --no-deps --target /tmp/refpkgs mmsegmentation==1.2.2 mmengine==0.10.7 \\
        mmcv-lite==2.1.0 mit-semseg==1.0.0 addict yapf termcolor prettytable yacs rich \\
        markdown-it-py mdurl pygments wcwidth platformdirs tomli scipy ftfy regex
    PYTHONPATH=/tmp/refpkgs python benchmarks/protocol_agreement.py [--images 4]

Builds a random PSPNet-50 with each project's own model code (mmseg's ResNetV1c-50 +
PSPHead, CSAIL's resnet50dilated + ppm_deepsup), saves it as that project saves its
checkpoints, loads the file with the app, and runs both on the same photos:
  - mmseg: its slide_inference (test_cfg mode 'slide') after Resize((L, S), keep_ratio),
    and its SegTTAModel over TestTimeAug with Resize(scale=(int(L r), int(S r))) x flip;
  - CSAIL: its TestDataset at several imgSizes and test.py's softmax averaging.
Prints the share of pixels whose label agrees. mmcv-lite has no compiled ops; PSPNet
uses none, so ``mmcv.ops`` is replaced by an empty module before mmseg is imported.
Scales are small so that it runs in minutes on a CPU.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.checkpoints import load_checkpoint  # noqa: E402
from app.engine.segmenter import Segmenter  # noqa: E402
from tests.helpers import lively  # noqa: E402

NUM_CLASSES = 6
RATIOS = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


class _NoOps(types.ModuleType):
    def __getattr__(self, name: str):  # compiled ops: PSPNet needs none of them
        if name.startswith("__"):
            raise AttributeError(name)
        return None


def photos(count: int, seed: int = 0) -> list[np.ndarray]:
    """Smooth random scenes of varied sizes (blocks of colour, blurred edges)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        h, w = int(rng.integers(90, 160)), int(rng.integers(110, 220))
        cells = rng.integers(0, 256, (h // 12 + 1, w // 12 + 1, 3))
        out.append(np.kron(cells, np.ones((12, 12, 1)))[:h, :w].astype(np.uint8))
    return out


def mmseg_model(mode: dict):
    from mmengine.config import ConfigDict
    from mmseg.registry import MODELS

    norm = dict(type="BN", requires_grad=True)
    cfg = dict(
        type="EncoderDecoder",
        data_preprocessor=dict(type="SegDataPreProcessor", mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
        backbone=dict(type="ResNetV1c", depth=50, num_stages=4, out_indices=(0, 1, 2, 3), dilations=(1, 1, 2, 4),
                      strides=(1, 2, 1, 1), norm_cfg=norm, norm_eval=False, style="pytorch", contract_dilation=True),
        decode_head=dict(type="PSPHead", in_channels=2048, in_index=3, channels=512, pool_scales=(1, 2, 3, 6),
                         dropout_ratio=0.1, num_classes=NUM_CLASSES, norm_cfg=norm, align_corners=False,
                         loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0)),
        train_cfg=dict(), test_cfg=ConfigDict(mode))
    torch.manual_seed(0)
    model = lively(MODELS.build(cfg), seed=7).eval()
    with torch.no_grad():
        probe = model.decode_head(model.backbone(torch.randn(1, 3, 64, 96)))
        _tame(model.decode_head.conv_seg, probe)
    return model


def _tame(classifier: torch.nn.Conv2d, logits: torch.Tensor) -> None:
    """Scale and centre the classifier so logits spread over a few units around zero:
    random BN statistics otherwise give logits of 1e8 (a one-hot softmax that ties when
    averaged) and one class nearly everywhere."""
    factor = 3.0 / float(logits.std())
    classifier.weight.mul_(factor)
    classifier.bias.mul_(factor)
    classifier.bias.sub_(logits.mean((0, 2, 3)) * factor)  # every class wins somewhere


def run_mmseg(images: list[np.ndarray], folder: Path) -> None:
    from mmengine.dataset import Compose, pseudo_collate
    from mmseg.models import SegTTAModel
    from mmseg.utils import register_all_modules

    register_all_modules()
    scale, crop, stride = (320, 96), 64, 43
    model = mmseg_model(dict(mode="slide", crop_size=(crop, crop), stride=(stride, stride)))
    path = folder / "pspnet_r50-d8_random.pth"
    torch.save({"meta": {}, "state_dict": model.state_dict()}, path)
    loaded = load_checkpoint(path)
    seg = Segmenter(loaded, "cpu")
    slide = loaded.meta.protocol("slide").with_overrides(base_size=scale[1], max_long=scale[0], crop_size=crop,
                                                          stride=stride)
    ms = loaded.meta.protocol("ms").with_overrides(base_size=scale[1], max_long=scale[0])
    single = Compose([dict(type="LoadImageFromNDArray"), dict(type="Resize", scale=scale, keep_ratio=True),
                      dict(type="PackSegInputs")])
    tta = Compose([dict(type="LoadImageFromNDArray"), dict(type="TestTimeAug", transforms=[
        [dict(type="Resize", scale=(int(scale[0] * r), int(scale[1] * r)), keep_ratio=True) for r in RATIOS],
        [dict(type="RandomFlip", prob=0.0, direction="horizontal"),
         dict(type="RandomFlip", prob=1.0, direction="horizontal")],
        [dict(type="PackSegInputs")]])])
    tta_1x = Compose([dict(type="LoadImageFromNDArray"), dict(type="TestTimeAug", transforms=[
        [dict(type="Resize", scale_factor=r, keep_ratio=True) for r in RATIOS],  # 1.x's tta_pipeline
        [dict(type="RandomFlip", prob=0.0, direction="horizontal"),
         dict(type="RandomFlip", prob=1.0, direction="horizontal")],
        [dict(type="PackSegInputs")]])])
    whole = mmseg_model(dict(mode="whole"))
    whole.load_state_dict(model.state_dict())
    tta_model = SegTTAModel(module=whole).eval()
    totals = {"slide": [0, 0], "ms": [0, 0], "ms vs 1.x scale_factor": [0, 0]}
    majority = [0, 0]
    for image in images:
        bgr = np.ascontiguousarray(image[:, :, ::-1])  # mmseg's loaders give BGR
        with torch.no_grad():
            ref_slide = model.test_step(pseudo_collate([single(dict(img=bgr))]))[0].pred_sem_seg.data[0].numpy()
            ref_ms = tta_model.test_step(pseudo_collate([tta(dict(img=bgr))]))[0].pred_sem_seg.data.numpy()
            ref_1x = tta_model.test_step(pseudo_collate([tta_1x(dict(img=bgr))]))[0].pred_sem_seg.data.numpy()
        for name, settings, ref in (("slide", slide, ref_slide), ("ms", ms, ref_ms),
                                    ("ms vs 1.x scale_factor", ms, ref_1x)):
            labels = seg.segment(image, settings).labels
            totals[name][0] += int((labels == ref).sum())
            totals[name][1] += labels.size
        majority[0] += int(np.bincount(ref_ms.ravel()).max())
        majority[1] += ref_ms.size
    print(f"(mmseg ms labels: the most common class covers {majority[0] / majority[1] * 100:.1f} % of pixels)")
    for name, (same, total) in totals.items():
        print(f"mmseg {name:<6} {same / total * 100:8.4f} % of {total} pixels agree with mmseg "
              f"{_version('mmsegmentation')}")


def run_csail(images: list[np.ndarray], folder: Path) -> None:
    from PIL import Image
    from mit_semseg.dataset import TestDataset
    from mit_semseg.models import ModelBuilder, SegmentationModule, resnet
    from mit_semseg.models.models import ResnetDilated
    from yacs.config import CfgNode

    torch.manual_seed(0)
    encoder = ResnetDilated(resnet.resnet50(pretrained=False), dilate_scale=8)
    decoder = ModelBuilder.build_decoder(arch="ppm_deepsup", fc_dim=2048, num_class=NUM_CLASSES, use_softmax=True)
    lively(encoder, seed=8)
    lively(decoder, seed=9)
    module = SegmentationModule(encoder, decoder, torch.nn.NLLLoss(ignore_index=-1)).eval()
    with torch.no_grad():
        decoder.use_softmax = False
        probe = decoder(encoder(torch.randn(1, 3, 64, 96), return_feature_maps=True))[0]  # log-softmax
        decoder.use_softmax = True
        _tame(decoder.conv_last[4], probe)
    pair = folder / "csail"
    pair.mkdir()
    torch.save(encoder.state_dict(), pair / "encoder_epoch_20.pth")
    torch.save(decoder.state_dict(), pair / "decoder_epoch_20.pth")
    loaded = load_checkpoint(pair)
    seg = Segmenter(loaded, "cpu")
    sizes, max_size = (60, 75, 90, 105, 120), 200
    settings = loaded.meta.protocol("ms").with_overrides(sizes=sizes, max_long=max_size)
    opt = CfgNode(dict(imgSizes=sizes, imgMaxSize=max_size, padding_constant=8, segm_downsampling_rate=8))
    same = total = 0
    majority = 0.0
    for i, image in enumerate(images):
        file = folder / f"photo{i}.png"
        Image.fromarray(image).save(file)
        batch = TestDataset([{"fpath_img": str(file)}], opt)[0]
        size = image.shape[:2]
        scores = torch.zeros(1, NUM_CLASSES, *size)
        with torch.no_grad():
            for img in batch["img_data"]:  # test.py's loop
                scores = scores + module({"img_data": img}, segSize=size) / len(sizes)
        ref = scores.argmax(1)[0].numpy()
        majority = max(majority, np.bincount(ref.ravel()).max() / ref.size)
        labels = seg.segment(image, settings).labels
        same += int((labels == ref).sum())
        total += labels.size
    print(f"(CSAIL labels: the most common class covers at most {majority * 100:.1f} % of an image)")
    print(f"CSAIL ms     {same / total * 100:8.4f} % of {total} pixels agree with mit_semseg {_version('mit-semseg')}")


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4)
    args = parser.parse_args()
    sys.modules["mmcv.ops"] = _NoOps("mmcv.ops")
    images = photos(args.images)
    with tempfile.TemporaryDirectory() as tmp:
        run_mmseg(images, Path(tmp))
        run_csail(images, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
