"""Issue 17's GPU check in one short run (by hand, on a machine with a CUDA GPU; a few minutes).

    python benchmarks/gpu_check.py [--photo 512x683] [--small 384x512] [--repeats 10]

On PSPNet-50 (random weights with varied BN statistics, 150 classes, semseg layout):
1. ms/image of the engine's fast and official protocols (base 512, crop 473, flip) against
   the bare forward of the same inputs (fast: one pass at the resized size; official: the
   same windows and their mirror images in one batch). Goal: engine within 1.5x of bare.
2. fp16 and bf16 autocast (``Segmenter(precision=...)``): label agreement with fp32 on both
   protocols (goal >= 99.9 %) and their ms/image.
3. Window batches. (a) ``Segmenter(window_batch=N)``: ms/image of the official protocol on a
   photo with many windows at 1, 4 and 8 windows per forward, labels compared. (b) Windows of
   several images in one forward (``Segmenter.segment_many``, what ``segment
   --images-per-forward N`` runs): ms/image of the official protocol (base 512, crop 473,
   flip) on 16 small photos (2 windows each at 384 x 512) at 1, 4 and 8 images per forward,
   8 windows per forward, labels compared with one image at a time. The bare forward at 2
   and 16 windows per call shows what fuller batches can gain at most.
4. The out-of-memory fallback on a real OOM: most of the GPU's free memory is taken by a
   tensor, then the official protocol runs at 8 windows per forward; the engine's notes say
   how it recovered (smaller batches, then the CPU) and the labels are compared with the
   run without the hog.

On a machine without CUDA it says so and exits 0. Exit 1 if a check raised.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from app.checkpoints.meta import ProtocolSettings  # noqa: E402
from app.engine.fast import fast_input_size  # noqa: E402
from app.engine.official import plan_scales  # noqa: E402
from app.engine.segmenter import Segmenter  # noqa: E402

FAST = ProtocolSettings("fast", base_size=512)
OFFICIAL = ProtocolSettings("official", base_size=512, crop_size=473, scales=(1.0,), flip=True)
MANY_WINDOWS = ProtocolSettings("official", base_size=1024, crop_size=473, scales=(1.0,), flip=True)


def photo(height: int, width: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    return np.kron(cells, np.ones((16, 16, 1), np.uint8))[:height, :width]


def varied_pspnet50():
    from bench_engine import pspnet50  # noqa: PLC0415 - the benchmark's own PSPNet-50

    from tests.helpers import lively  # noqa: PLC0415 - random BN statistics: labels vary

    loaded = pspnet50()
    lively(loaded.model)
    return loaded


def ms(run: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of ``run`` after two warm-ups, synchronised with the GPU."""
    times = []
    for i in range(repeats + 2):
        torch.cuda.synchronize()
        started = time.perf_counter()
        run()
        torch.cuda.synchronize()
        if i >= 2:
            times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def bare_fast(model, image: np.ndarray, device: torch.device) -> Callable[[], object]:
    h, w = fast_input_size(image.shape[0], image.shape[1], FAST)
    x = torch.randn(1, 3, h, w, device=device).contiguous(memory_format=torch.channels_last)
    return lambda: _infer(lambda: model(x, upsample=False))


def bare_windows(model, image: np.ndarray, settings: ProtocolSettings, device: torch.device,
                 per_call: int | None = None) -> Callable[[], object]:
    windows = sum(len(p.windows) for p in plan_scales(image.shape[0], image.shape[1], settings))
    total = 2 * windows if settings.flip else windows
    batch = per_call or total
    x = torch.randn(batch, 3, settings.crop_size, settings.crop_size, device=device)
    x = x.contiguous(memory_format=torch.channels_last)
    calls = -(-total // batch)
    return lambda: _infer(lambda: [model(x) for _ in range(calls)])


def _infer(run: Callable[[], object]) -> object:
    with torch.inference_mode():
        return run()


def agreement(a: np.ndarray, b: np.ndarray) -> str:
    return f"{(a == b).mean():.4%}"


def check_speed(loaded, image, device, repeats) -> None:
    seg = Segmenter(loaded, str(device))
    for name, settings, bare in (("fast", FAST, bare_fast(loaded.model, image, device)),
                                 ("official", OFFICIAL, bare_windows(loaded.model, image, OFFICIAL, device))):
        engine_ms = ms(lambda: seg.segment(image, settings), repeats)
        bare_ms = ms(bare, repeats)
        print(f"  {name:8s} engine {engine_ms:7.1f} ms/image, bare forward {bare_ms:7.1f} ms: "
              f"{engine_ms / bare_ms:.2f}x (goal <= 1.5x)")


def check_autocast(loaded, image, device, repeats) -> None:
    reference = {s.name: Segmenter(loaded, str(device)).segment(image, s).labels for s in (FAST, OFFICIAL)}
    for precision in ("fp16", "bf16"):
        seg = Segmenter(loaded, str(device), precision=precision)
        for settings in (FAST, OFFICIAL):
            labels = seg.segment(image, settings).labels
            took = ms(lambda: seg.segment(image, settings), max(3, repeats // 2))
            print(f"  {precision} {settings.name:8s} labels = fp32 on {agreement(labels, reference[settings.name])} "
                  f"(goal >= 99.9 %), {took:.1f} ms/image")


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def per_image_ms(run: Callable[[], object], images: int, device: torch.device, repeats: int) -> float:
    """Median milliseconds per image of ``run`` (all ``images``) after one warm-up."""
    times = []
    for i in range(repeats + 1):
        synchronize(device)
        started = time.perf_counter()
        run()
        synchronize(device)
        if i >= 1:
            times.append(1000 * (time.perf_counter() - started) / images)
    return statistics.median(times)


def check_images_per_forward(loaded, photos: list[np.ndarray], device: torch.device, repeats: int,
                             settings: ProtocolSettings = OFFICIAL, window_batch: int = 8,
                             groups: tuple[int, ...] = (1, 4, 8)) -> dict[int, float]:
    """ms/image of ``settings`` over ``photos`` at each number of images per forward (CPU or GPU)."""
    seg = Segmenter(loaded, str(device), window_batch=window_batch)
    windows = sum(len(p.windows) for p in plan_scales(photos[0].shape[0], photos[0].shape[1], settings))
    print(f"  {len(photos)} photos of {photos[0].shape[1]}x{photos[0].shape[0]}: {windows} window(s) each "
          f"(+ flips), {window_batch} windows per forward")

    def run(group: int) -> list:
        labels = []
        for first in range(0, len(photos), group):
            chunk = photos[first:first + group]
            results = seg.segment_many(chunk, settings) if group > 1 else [seg.segment(chunk[0], settings)]
            labels += [r.labels for r in results]
        return labels

    alone = run(1)
    took = {}
    for group in groups:
        labels = run(group)
        same = np.mean([(a == b).mean() for a, b in zip(labels, alone)])
        took[group] = per_image_ms(lambda: run(group), len(photos), device, repeats)
        gain = f" ({took[1] / took[group]:.2f}x the speed of 1)" if 1 in took and group != 1 else ""
        print(f"  {group} image(s) per forward: {took[group]:.1f} ms/image{gain}, "
              f"labels = one image at a time on {same:.4%}")
    return took


def check_window_batches(loaded, image, device, repeats, small) -> None:
    windows = sum(len(p.windows) for p in plan_scales(image.shape[0], image.shape[1], MANY_WINDOWS))
    print(f"  official at base {MANY_WINDOWS.base_size}: {windows} windows (+ flips) per image")
    first = None
    for batch in (1, 4, 8):
        seg = Segmenter(loaded, str(device), window_batch=batch)
        labels = seg.segment(image, MANY_WINDOWS).labels
        first = labels if first is None else first
        took = ms(lambda: seg.segment(image, MANY_WINDOWS), max(3, repeats // 2))
        print(f"  {batch} window(s) per forward: {took:.1f} ms/image, labels = 1-window run on "
              f"{agreement(labels, first)}")
    photos = [photo(small[0], small[1], seed) for seed in range(16)]
    check_images_per_forward(loaded, photos, device, max(3, repeats // 2))
    for per_call in (2, 16):
        took = ms(bare_windows(loaded.model, image, OFFICIAL, device, per_call=per_call), repeats)
        print(f"  bare forward, {per_call:2d} windows per call, {per_call} windows: "
              f"{took / per_call:.2f} ms/window")


def check_out_of_memory(loaded, image, device) -> None:
    reference = Segmenter(loaded, str(device), window_batch=1).segment(image, OFFICIAL)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    Segmenter(loaded, str(device), window_batch=1).segment(image, OFFICIAL)
    need_one = torch.cuda.max_memory_allocated(device) - base  # one window + flip
    torch.cuda.empty_cache()
    for leave, expect in ((3 * need_one, "smaller batches"), (need_one // 4, "the CPU")):
        free, _ = torch.cuda.mem_get_info(device)
        hog = torch.empty(max(0, free - leave), dtype=torch.uint8, device=device)
        try:
            seg = Segmenter(loaded, str(device), window_batch=8)
            started = time.perf_counter()
            result = seg.segment(image, OFFICIAL)
            took = time.perf_counter() - started
        finally:
            del hog
            torch.cuda.empty_cache()
        print(f"  {leave / 2**20:.0f} MB left free (one window needs {need_one / 2**20:.0f} MB), expecting "
              f"{expect}: ran on {result.device} in {took:.1f} s; notes: {result.notes or 'none'}; "
              f"labels = unhindered run on {agreement(result.labels, reference.labels)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photo", default="512x683", help="HxW of the test photo")
    parser.add_argument("--small", default="384x512", help="HxW of the 16 small photos of part 3")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(f"no CUDA GPU on this machine (torch {torch.__version__}, CUDA build {torch.version.cuda}): "
              "nothing to check; run this where a GPU is lent")
        return 0
    device = torch.device("cuda", torch.cuda.current_device())
    print(f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    height, width = map(int, args.photo.split("x"))
    image = photo(height, width)
    small = tuple(map(int, args.small.split("x")))
    loaded = varied_pspnet50()
    failed = []
    for title, check in (("1. engine vs bare forward", lambda: check_speed(loaded, image, device, args.repeats)),
                         ("2. autocast vs fp32", lambda: check_autocast(loaded, image, device, args.repeats)),
                         ("3. window batches", lambda: check_window_batches(loaded, image, device, args.repeats, small)),
                         ("4. out-of-memory fallback", lambda: check_out_of_memory(loaded, image, device))):
        print(title)
        started = time.perf_counter()
        try:
            check()
        except Exception:  # noqa: BLE001 - report and go on: one short run should say everything
            failed.append(title)
            traceback.print_exc()
        print(f"  ({time.perf_counter() - started:.0f} s)")
    print("all checks ran" if not failed else f"checks that raised: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
