"""Engine benchmark (run by hand, never in CI).

    python benchmarks/bench_engine.py [--images 32] [--size 384x512] [--device auto]

Measures, in one process, against a straightforward loop written here the way
the published semseg test script works (one window at a time, float64 numpy
accumulation, per-window softmax on the host):
  1. one image through PSPNet-50 (random weights, 150 classes), official
     single-scale protocol (flip on): seconds and the ratio;
  2. a folder of N images (official single-scale, label PNGs written), images/s
     and the ratio; on a GPU also the bare forward time of the same windows;
  3. peak memory: peak RSS of a child process segmenting one large image
     (default 10000 x 8000) with the fast protocol, above the RSS after loading.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.checkpoints.meta import LoadedModel, ModelMeta, ProtocolSettings  # noqa: E402
from app.classes import dataset_classes  # noqa: E402
from app.engine.batch import plan_jobs, run_batch  # noqa: E402
from app.engine.segmenter import Segmenter  # noqa: E402
from app.model import PSPNetConfig, build_pspnet  # noqa: E402

MEAN = np.array([123.675, 116.28, 103.53])
STD = np.array([58.395, 57.12, 57.375])
SETTINGS = ProtocolSettings("official", base_size=512, crop_size=473, scales=(1.0,), flip=True)


def pspnet50() -> LoadedModel:
    cfg = PSPNetConfig(num_classes=150, backbone="resnet50")  # semseg layout, align_corners=True
    torch.manual_seed(0)
    return LoadedModel(build_pspnet(cfg), ModelMeta("semseg", cfg, dataset_classes("ade20k")))


# --- the straightforward loop (the baseline) ---------------------------------------------

def plain_segment(model, image: np.ndarray, device: torch.device) -> np.ndarray:
    """semseg's test loop, written plainly: float64 host accumulation, one window at a time."""
    crop, base, classes = SETTINGS.crop_size, SETTINGS.base_size, 150
    img = image.astype(np.float32)
    h, w, _ = img.shape
    long_size = round(base)
    new_h, new_w = (long_size, round(long_size / h * w)) if h > w else (round(long_size / w * h), long_size)
    t = torch.from_numpy(img.transpose(2, 0, 1).copy())[None]
    scaled = F.interpolate(t, (new_h, new_w), mode="bilinear", align_corners=False)[0].numpy().transpose(1, 2, 0)
    pad_h, pad_w = max(crop - new_h, 0), max(crop - new_w, 0)
    ph, pw = pad_h // 2, pad_w // 2
    padded = np.empty((new_h + pad_h, new_w + pad_w, 3), np.float32)
    padded[:] = MEAN
    padded[ph:ph + new_h, pw:pw + new_w] = scaled
    H, W = padded.shape[:2]
    stride = int(math.ceil(crop * 2 / 3))
    acc = np.zeros((H, W, classes))
    cnt = np.zeros((H, W))
    for ih in range(int(math.ceil((H - crop) / stride)) + 1):
        for iw in range(int(math.ceil((W - crop) / stride)) + 1):
            e_h, e_w = min(ih * stride + crop, H), min(iw * stride + crop, W)
            s_h, s_w = e_h - crop, e_w - crop
            window = (padded[s_h:e_h, s_w:e_w] - MEAN) / STD
            x = torch.from_numpy(window.transpose(2, 0, 1).astype(np.float32))[None].to(device)
            x = torch.cat([x, x.flip(3)])
            with torch.no_grad():
                prob = torch.softmax(model(x), 1)
            prob = ((prob[0] + prob[1].flip(2)) / 2).cpu().numpy().transpose(1, 2, 0)
            acc[s_h:e_h, s_w:e_w] += prob
            cnt[s_h:e_h, s_w:e_w] += 1
    acc = acc[ph:ph + new_h, pw:pw + new_w] / cnt[ph:ph + new_h, pw:pw + new_w, None]
    t = torch.from_numpy(acc.transpose(2, 0, 1).copy())[None]
    full = F.interpolate(t, (h, w), mode="bilinear", align_corners=False)[0]
    return full.argmax(0).numpy().astype(np.uint8)


def plain_folder(model, paths: list[Path], out: Path, device: torch.device) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for p in paths:
        image = np.asarray(Image.open(p).convert("RGB"))
        Image.fromarray(plain_segment(model, image, device)).save(out / f"{p.stem}.png")


def bare_forward_seconds(model, image: np.ndarray, device: torch.device, repeats: int = 3) -> float:
    """The network alone on the same windows (batched, flip pairs), for the GPU aim."""
    from app.engine.official import plan_scales  # noqa: PLC0415
    plan = plan_scales(image.shape[0], image.shape[1], SETTINGS)[0]
    x = torch.randn(2 * len(plan.windows), 3, SETTINGS.crop_size, SETTINGS.crop_size, device=device)
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            model(x)
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


# --- peak memory in a child process ---------------------------------------------------------

def memory_child(height: int, width: int, device: str) -> None:
    loaded = pspnet50()
    seg = Segmenter(loaded, device)
    rng = np.random.default_rng(0)
    image = np.kron(rng.integers(0, 256, (height // 100 + 1, width // 100 + 1, 3), dtype=np.uint8),
                    np.ones((100, 100, 1), np.uint8))[:height, :width]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = seg.segment(image, ProtocolSettings("fast", base_size=512))
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outputs_mb = (result.labels.nbytes + result.confidence.nbytes) / 2**20
    print(json.dumps({"rss_before_mb": before / 1024, "rss_peak_mb": peak / 1024, "seconds": seconds,
                      "image_mb": image.nbytes / 2**20, "outputs_mb": outputs_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--size", default="384x512", help="HxW of the test photos")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--big", default="10000x8000", help="HxW of the peak-memory image ('' to skip)")
    parser.add_argument("--memory-child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        h, w = map(int, args.memory_child.split("x"))
        memory_child(h, w, args.device)
        return
    height, width = map(int, args.size.split("x"))
    loaded = pspnet50()
    seg = Segmenter(loaded, args.device)
    device = seg.device
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"PSPNet-50 150 classes, official single scale + flip, photos {width}x{height}")
    rng = np.random.default_rng(1)
    photos = [np.kron(rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8),
                      np.ones((16, 16, 1), np.uint8))[:height, :width] for _ in range(args.images)]

    # 1. one image (after one warm-up of each)
    seg.segment(photos[0], SETTINGS)
    plain_segment(loaded.model, photos[0], device)
    t0 = time.perf_counter()
    ours = seg.segment(photos[0], SETTINGS)
    t_engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = plain_segment(loaded.model, photos[0], device)
    t_plain = time.perf_counter() - t0
    agree = float((ours.labels == theirs).mean())
    print(f"1. one image: engine {t_engine:.2f} s, straightforward loop {t_plain:.2f} s, "
          f"ratio {t_plain / t_engine:.2f}x (labels agree on {agree:.2%} of pixels)")
    if device.type == "cuda":
        bare = bare_forward_seconds(loaded.model, photos[0], device)
        print(f"   bare forward of the same windows {bare:.3f} s; engine / bare = {t_engine / bare:.2f}")

    # 2. a folder
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        paths = []
        for i, photo in enumerate(photos):
            paths.append(folder / f"p{i:03d}.jpg")
            Image.fromarray(photo).save(paths[-1], quality=92)
        jobs, _ = plan_jobs([folder], Path(tmp) / "engine")
        t0 = time.perf_counter()
        report = run_batch(jobs, seg, Path(tmp) / "engine", ("label",), SETTINGS)
        t_engine = time.perf_counter() - t0
        assert report.count("ok") == len(paths)
        t0 = time.perf_counter()
        plain_folder(loaded.model, paths, Path(tmp) / "plain", device)
        t_plain = time.perf_counter() - t0
    n = len(paths)
    print(f"2. folder of {n}: engine {n / t_engine:.3f} img/s, straightforward loop {n / t_plain:.3f} img/s, "
          f"ratio {t_plain / t_engine:.2f}x")

    # 3. peak memory
    if args.big:
        proc = subprocess.run([sys.executable, __file__, "--memory-child", args.big, "--device", args.device],
                              capture_output=True, text=True, check=True)
        mem = json.loads(proc.stdout.strip().splitlines()[-1])
        h, w = map(int, args.big.split("x"))
        full_logits_mb = 150 * h * w * 4 / 2**20
        print(f"3. fast protocol on a {w}x{h} image: peak RSS {mem['rss_peak_mb']:.0f} MB "
              f"({mem['rss_peak_mb'] - mem['rss_before_mb']:.0f} MB above the {mem['rss_before_mb']:.0f} MB "
              f"after loading and decoding; outputs themselves {mem['outputs_mb']:.0f} MB), "
              f"{mem['seconds']:.1f} s; a full-resolution float32 logit tensor alone would be "
              f"{full_logits_mb:.0f} MB")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    main()
