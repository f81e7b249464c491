"""The ONNX Runtime backend against PyTorch, in one process (run by hand, never in CI).

    python benchmarks/bench_onnx.py [--part official|fast|both] [--rounds 3] [--images 6]

1. official: PSPNet-50 (random weights, 150 classes, semseg layout), official single scale
   with flip on a 512 x 384 photo at base size 512, crop 473 (two windows, each with its
   mirror image: two forwards of a batch of 2): the engine with ``--backend onnx``, the engine with
   ``--backend torch``, and benchmarks/bench_engine.py's loop written the way semseg's own
   test script works. Seconds per image, median of interleaved rounds.
2. fast: the shipped model on a folder of same-size photos (the harbour sample, shifted so
   they differ), ``run_batch`` writing label PNGs, torch then onnx in each round:
   milliseconds per image, median of the rounds.

Each graph is exported once (its time is printed) and cached as the app caches it, in
``$PSPNET_STUDIO_CACHE`` or the user's cache folder; a second run starts from the cache.
Labels are compared between the backends (agreement over all pixels).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from app.checkpoints import load_checkpoint  # noqa: E402
from app.engine.batch import plan_jobs, run_batch  # noqa: E402
from app.engine.imageio import read_image  # noqa: E402
from app.engine.segmenter import Segmenter  # noqa: E402
from app.paths import DEFAULT_WEIGHTS, SAMPLES_DIR  # noqa: E402
from bench_engine import SETTINGS, pspnet50, plain_segment  # noqa: E402

OFFICIAL = SETTINGS  # base 512, crop 473, flip: what bench_engine's loop hard-codes


def machine() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines()
        name = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        name = "unknown CPU"
    import onnxruntime  # noqa: PLC0415

    return (f"{name}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
            f"onnxruntime {onnxruntime.__version__}")


def built_graph(segmenter: Segmenter, run: Callable[[], object]) -> None:
    """Run once (building or loading the graph) and say what it cost."""
    started = time.perf_counter()
    run()
    cache = segmenter.backend.cache
    what = "exported and measured" if cache.builds else "loaded from the cache"
    print(f"   graph {what} in {time.perf_counter() - started:.1f} s (first image included)", flush=True)


def official(rounds: int) -> None:
    loaded = pspnet50()
    rng = np.random.default_rng(1)
    photo = np.kron(rng.integers(0, 256, (384 // 16 + 1, 512 // 16 + 1, 3), dtype=np.uint8),
                    np.ones((16, 16, 1), np.uint8))[:384, :512]
    torch_seg = Segmenter(loaded, "cpu", backend="torch")
    onnx_seg = Segmenter(loaded, "cpu", backend="onnx")
    print("1. official, PSPNet-50, 512 x 384 photo at base 512: two 473 x 473 windows, each with its flip",
          flush=True)
    built_graph(onnx_seg, lambda: onnx_seg.segment(photo, OFFICIAL))
    times: dict[str, list[float]] = {"onnx": [], "torch": [], "loop": []}
    labels = {}
    for r in range(rounds):
        for name, run in (("onnx", lambda: onnx_seg.segment(photo, OFFICIAL).labels),
                          ("torch", lambda: torch_seg.segment(photo, OFFICIAL).labels),
                          ("loop", lambda: plain_segment(loaded.model, photo, torch.device("cpu")))):
            started = time.perf_counter()
            labels[name] = run()
            times[name].append(time.perf_counter() - started)
        print(f"   round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    print(f"   median of {rounds}: onnx {med['onnx']:.2f} s, torch engine {med['torch']:.2f} s, "
          f"semseg-style loop {med['loop']:.2f} s")
    print(f"   onnx / torch engine {med['onnx'] / med['torch']:.2f}x the time, onnx / loop "
          f"{med['onnx'] / med['loop']:.2f}x; labels onnx = torch on "
          f"{(labels['onnx'] == labels['torch']).mean():.4%}, onnx = loop on "
          f"{(labels['onnx'] == labels['loop']).mean():.4%} of pixels")
    print(f"   all rounds (s): {', '.join(f'{k} {[round(v, 2) for v in vs]}' for k, vs in times.items())}")


def fast(rounds: int, images: int) -> None:
    loaded = load_checkpoint(DEFAULT_WEIGHTS)
    sample = read_image(sorted((SAMPLES_DIR / "images").iterdir())[0])
    torch_seg = Segmenter(loaded, "cpu", backend="torch")
    onnx_seg = Segmenter(loaded, "cpu", backend="onnx")
    settings = loaded.meta.protocol("fast")
    print(f"2. fast, the shipped model, a folder of {images} photos of {sample.shape[1]} x {sample.shape[0]}")
    built_graph(onnx_seg, lambda: onnx_seg.segment(sample, settings))
    from PIL import Image  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i in range(images):
            Image.fromarray(np.roll(sample, 7 * i, axis=1)).save(folder / f"p{i:02d}.png")
        per_image: dict[str, list[float]] = {"torch": [], "onnx": []}
        for r in range(rounds):
            for name, seg in (("torch", torch_seg), ("onnx", onnx_seg)):
                out = Path(tmp) / f"{name}{r}"
                jobs, _ = plan_jobs([folder], out)
                started = time.perf_counter()
                report = run_batch(jobs, seg, out, ("label",), settings)
                per_image[name].append((time.perf_counter() - started) / images)
                assert report.count("ok") == images, report.failures
        agree = np.mean([(np.array(Image.open(Path(tmp) / "onnx0" / p.name)) ==
                          np.array(Image.open(Path(tmp) / "torch0" / p.name))).mean()
                         for p in sorted(folder.iterdir())])
    med = {name: statistics.median(values) * 1000 for name, values in per_image.items()}
    print(f"   median of {rounds}: torch {med['torch']:.0f} ms/image, onnx {med['onnx']:.0f} ms/image: "
          f"onnx {med['torch'] / med['onnx']:.2f}x faster; labels agree on {agree:.4%} of pixels")
    print(f"   all rounds (ms/image): {', '.join(f'{k} {[round(v * 1000) for v in vs]}' for k, vs in per_image.items())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", default="both", choices=("official", "fast", "both"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--threads", type=int, default=min(2, torch.get_num_threads()))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine())
    if args.part in ("official", "both"):
        official(args.rounds)
    if args.part in ("fast", "both"):
        fast(args.rounds, args.images)


if __name__ == "__main__":
    main()
