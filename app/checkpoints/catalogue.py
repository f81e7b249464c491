"""The published PSPNet checkpoints this app can load: what they are and where they live.

Plain data, no Qt and no torch, read by Help > Get Published Models... and by the
downloader. Every figure comes from the publisher's own README, config or release
script (cited in ``source_url``); a field the publisher does not give is left empty
(``None`` / ``""``) rather than guessed. In particular:

- hszhao/semseg publishes its files in a Google Drive folder, which has no direct
  link per file: ``url`` is empty and ``page`` is the folder to open in a browser.
- mmsegmentation's release script names each file ``..._<date>-<8 hex>.pth``, the 8
  hex digits being the start of the file's sha256 (``tools/publish_model.py``): that
  prefix is checked after a download. Only one file's size is known here.
- CSAIL gives a direct link (its ``demo_test.sh``) for ResNet50dilated + PPM_deepsup;
  the ResNet101dilated files sit in the same model folder but are not linked file by
  file, so only the folder is given.
"""

from __future__ import annotations

from dataclasses import dataclass

# Titles of the datasets in app/classes (KNOWN_DATASETS keys) as the catalogue shows them.
DATASET_TITLES = {"ade20k": "ADE20K", "voc2012": "PASCAL VOC 2012", "cityscapes": "Cityscapes"}

SEMSEG_DRIVE = "https://drive.google.com/open?id=15wx9vOM0euyizq-M1uINgN0_wjVRf9J3"
SEMSEG_README = "https://github.com/hszhao/semseg#performance"
MMSEG_README = "https://github.com/open-mmlab/mmsegmentation/tree/main/configs/pspnet"
MMSEG_DOWNLOADS = "https://download.openmmlab.com/mmsegmentation/v0.5/pspnet"
CSAIL_README = "https://github.com/CSAILVision/semantic-segmentation-pytorch"
CSAIL_MODELS = "http://sceneparsing.csail.mit.edu/model/pytorch"


@dataclass(frozen=True)
class PublishedFile:
    name: str
    url: str = ""            # a direct download; "" when the publisher gives only a page
    size: int | None = None  # bytes, where published
    sha256: str = ""         # the full digest, where published
    sha256_prefix: str = ""  # the start of the digest, where only that is published


@dataclass(frozen=True)
class PublishedModel:
    key: str                 # unique, also the name of its folder in the download cache
    name: str
    source: str              # the publishing project
    source_url: str          # where the figures below are published
    dataset: str             # a DATASET_TITLES key
    num_classes: int
    backbone: str
    files: tuple[PublishedFile, ...]
    page: str = ""           # where to get the files by hand when there is no direct link
    miou_ss: float | None = None  # published val mIoU %, single scale
    miou_ms: float | None = None  # published val mIoU %, multi-scale (mmseg: ms + flip)
    notes: str = ""

    @property
    def dataset_title(self) -> str:
        return DATASET_TITLES.get(self.dataset, self.dataset)

    @property
    def downloadable(self) -> bool:
        """Every file has a direct link (the app can fetch it)."""
        return bool(self.files) and all(f.url for f in self.files)

    @property
    def size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return sum(sizes) if sizes and None not in sizes else None  # type: ignore[arg-type]


def _semseg(depth: int, dataset: str, classes: int, epoch: int, ss: float, ms: float) -> PublishedModel:
    return PublishedModel(
        key=f"semseg-pspnet{depth}-{dataset}", name=f"PSPNet{depth} (semseg)", source="hszhao/semseg",
        source_url=SEMSEG_README, dataset=dataset, num_classes=classes, backbone=f"ResNet-{depth}",
        files=(PublishedFile(f"train_epoch_{epoch}.pth"),), page=SEMSEG_DRIVE, miou_ss=ss, miou_ms=ms,
        notes=f"In the Drive folder under {dataset}/pspnet{depth}/model/; download it in a browser, "
              "then File > Open Weights.")


def _mmseg(depth: int, config: str, stamp_hash: str, dataset: str, classes: int, ss: float, ms: float,
           size: int | None = None) -> PublishedModel:
    name = f"{config}_{stamp_hash}.pth"
    return PublishedModel(
        key=f"mmseg-{config}", name=f"PSPNet R-{depth}-D8 {config.split('_', 2)[2]} (mmseg)",
        source="open-mmlab/mmsegmentation", source_url=MMSEG_README, dataset=dataset, num_classes=classes,
        backbone=f"ResNetV1c-{depth}, dilated 8",
        files=(PublishedFile(name, f"{MMSEG_DOWNLOADS}/{config}/{name}", size,
                             sha256_prefix=stamp_hash.rsplit("-", 1)[1]),),
        miou_ss=ss, miou_ms=ms)


def _csail(depth: int, epoch: int, ss: float, ms: float, linked: bool) -> PublishedModel:
    folder = f"ade20k-resnet{depth}dilated-ppm_deepsup"
    files = tuple(PublishedFile(f"{part}_epoch_{epoch}.pth", f"{CSAIL_MODELS}/{folder}/{part}_epoch_{epoch}.pth"
                                if linked else "") for part in ("encoder", "decoder"))
    return PublishedModel(
        key=f"csail-{folder}", name=f"ResNet{depth}dilated + PPM_deepsup (CSAIL)",
        source="CSAILVision/semantic-segmentation-pytorch", source_url=CSAIL_README, dataset="ade20k",
        num_classes=150, backbone=f"ResNet-{depth} dilated", files=files,
        page="" if linked else f"{CSAIL_MODELS}/{folder}/", miou_ss=ss, miou_ms=ms,
        notes="Two files (encoder and decoder); keep them side by side with these names and open "
              "either one.")


CATALOGUE: tuple[PublishedModel, ...] = (
    _semseg(50, "ade20k", 150, 100, 41.89, 42.84),
    _semseg(101, "ade20k", 150, 100, 43.10, 44.15),
    _semseg(50, "voc2012", 21, 50, 77.05, 78.02),
    _semseg(101, "voc2012", 21, 50, 79.07, 79.63),
    _semseg(50, "cityscapes", 19, 200, 77.30, 78.38),
    _semseg(101, "cityscapes", 19, 200, 78.63, 79.29),
    _mmseg(50, "pspnet_r50-d8_512x512_80k_ade20k", "20200615_014128-15a8b914", "ade20k", 150, 41.13, 41.94),
    _mmseg(101, "pspnet_r101-d8_512x512_80k_ade20k", "20200614_031423-b6e782f0", "ade20k", 150, 43.57, 44.35),
    _mmseg(50, "pspnet_r50-d8_512x512_160k_ade20k", "20200615_184358-1890b0bd", "ade20k", 150, 42.48, 43.44),
    _mmseg(101, "pspnet_r101-d8_512x512_160k_ade20k", "20200615_100650-967c316f", "ade20k", 150, 44.39, 45.35),
    _mmseg(50, "pspnet_r50-d8_512x512_20k_voc12aug", "20200617_101958-ed5dfbd9", "voc2012", 21, 76.78, 77.61,
           size=196_212_259),
    _mmseg(101, "pspnet_r101-d8_512x512_20k_voc12aug", "20200617_102003-4aef3c9a", "voc2012", 21, 78.47, 79.25),
    _mmseg(50, "pspnet_r50-d8_512x512_40k_voc12aug", "20200613_161222-ae9c1b8c", "voc2012", 21, 77.29, 78.48),
    _mmseg(101, "pspnet_r101-d8_512x512_40k_voc12aug", "20200613_161222-bc933b18", "voc2012", 21, 78.52, 79.57),
    _mmseg(50, "pspnet_r50-d8_512x1024_40k_cityscapes", "20200605_003338-2966598c", "cityscapes", 19,
           77.85, 79.18),
    _mmseg(101, "pspnet_r101-d8_512x1024_40k_cityscapes", "20200604_232751-467e7cf4", "cityscapes", 19,
           78.34, 79.74),
    _mmseg(50, "pspnet_r50-d8_769x769_40k_cityscapes", "20200606_112725-86638686", "cityscapes", 19,
           78.26, 79.88),
    _mmseg(101, "pspnet_r101-d8_769x769_40k_cityscapes", "20200606_112753-61c6f5be", "cityscapes", 19,
           79.08, 80.28),
    _mmseg(50, "pspnet_r50-d8_512x1024_80k_cityscapes", "20200606_112131-2376f12b", "cityscapes", 19,
           78.55, 79.79),
    _mmseg(101, "pspnet_r101-d8_512x1024_80k_cityscapes", "20200606_112211-e1e1100f", "cityscapes", 19,
           79.76, 81.01),
    _csail(50, 20, 41.26, 42.14, linked=True),
    _csail(101, 25, 42.19, 42.53, linked=False),
)


def find(key: str) -> PublishedModel:
    for model in CATALOGUE:
        if model.key == key:
            return model
    raise KeyError(f"no published model {key!r} in the catalogue")


def describe_size(size: int | None) -> str:
    if size is None:
        return ""
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
