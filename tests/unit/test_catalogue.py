"""The catalogue of published checkpoints: consistent with itself, the class files and
the published facts in ../shared/spec/pspnet-reference.md."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from app.checkpoints import catalogue
from app.checkpoints.catalogue import CATALOGUE, find
from app.classes import dataset_classes


def test_keys_are_unique_and_usable_as_folder_names():
    keys = [m.key for m in CATALOGUE]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z0-9._-]+", k) for k in keys)
    assert find(keys[3]) is CATALOGUE[3]
    with pytest.raises(KeyError):
        find("no-such-model")


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda m: m.key)
def test_classes_match_the_apps_dataset_files(model):
    assert model.dataset in catalogue.DATASET_TITLES
    assert len(dataset_classes(model.dataset)) == model.num_classes


@pytest.mark.parametrize("model", CATALOGUE, ids=lambda m: m.key)
def test_every_model_says_where_to_get_it(model):
    assert model.files and model.source_url.startswith("https://")
    assert model.downloadable or model.page.startswith(("http://", "https://"))
    for entry in model.files:
        if entry.url:
            assert urlsplit(entry.url).scheme in ("http", "https")
            assert entry.url.rsplit("/", 1)[1] == entry.name
        assert not entry.sha256 or re.fullmatch(r"[0-9a-f]{64}", entry.sha256)


def test_mmseg_files_carry_the_sha256_prefix_of_their_name():
    mmseg = [m for m in CATALOGUE if m.source == "open-mmlab/mmsegmentation"]
    assert len(mmseg) >= 8 and all(m.downloadable for m in mmseg)
    for model in mmseg:
        (entry,) = model.files
        assert re.fullmatch(r"[0-9a-f]{8}", entry.sha256_prefix)
        assert entry.name.endswith(f"-{entry.sha256_prefix}.pth")
        assert entry.url.startswith(catalogue.MMSEG_DOWNLOADS + "/" + model.key.removeprefix("mmseg-") + "/")


def test_published_facts_from_the_reference():
    voc = find("mmseg-pspnet_r50-d8_512x512_20k_voc12aug")
    assert voc.files[0].name == "pspnet_r50-d8_512x512_20k_voc12aug_20200617_101958-ed5dfbd9.pth"
    assert voc.size == 196_212_259 and catalogue.describe_size(voc.size) == "196 MB"
    assert (voc.miou_ss, voc.miou_ms) == (76.78, 77.61)
    assert (find("mmseg-pspnet_r50-d8_512x1024_40k_cityscapes").miou_ss, ) == (77.85, )
    semseg = {m.key: m for m in CATALOGUE if m.source == "hszhao/semseg"}
    assert semseg["semseg-pspnet50-ade20k"].files[0].name == "train_epoch_100.pth"
    assert semseg["semseg-pspnet101-voc2012"].files[0].name == "train_epoch_50.pth"
    assert semseg["semseg-pspnet50-cityscapes"].files[0].name == "train_epoch_200.pth"
    assert (semseg["semseg-pspnet101-ade20k"].miou_ss, semseg["semseg-pspnet101-ade20k"].miou_ms) == (43.10, 44.15)
    assert not any(m.downloadable for m in semseg.values()), "Drive has no direct per-file links"
    csail = find("csail-ade20k-resnet50dilated-ppm_deepsup")
    assert [f.name for f in csail.files] == ["encoder_epoch_20.pth", "decoder_epoch_20.pth"]
    assert csail.downloadable and csail.miou_ss == 41.26
    assert csail.files[0].url == ("http://sceneparsing.csail.mit.edu/model/pytorch/"
                                  "ade20k-resnet50dilated-ppm_deepsup/encoder_epoch_20.pth")


def test_unknown_sizes_stay_unknown():
    assert find("mmseg-pspnet_r101-d8_512x512_20k_voc12aug").size is None
    assert catalogue.describe_size(None) == ""
