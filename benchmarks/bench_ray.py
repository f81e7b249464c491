"""Ray engine benchmark (run by hand, never in CI).

    python benchmarks/bench_ray.py [--images 8] [--size 384x512] [--backbone resnet18]
                                   [--base-size 256] [--workers 1 2] [--rounds 2]

In one process, on the same folder and the same saved model (random weights,
150 classes, fast protocol): the local engine (``run_batch``) and the Ray engine
on a local Ray instance with 1, 2, ... CPU workers, interleaved over rounds (the
best time of each is kept, so a busy neighbour on a shared machine hurts every
configuration alike). Prints images/s and the ratio to the local engine, the
worker start-up time (measured apart from the throughput), whether the label maps
equal the local run's, and two numbers for reasoning about GPUs: the cost of the
Ray machinery per image (a worker call that finds the image done) and the CPU work
around the network per image (decode + the four output files).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import ray
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.checkpoints import load_checkpoint, save_native  # noqa: E402
from app.checkpoints.meta import ModelMeta, ProtocolSettings  # noqa: E402
from app.classes import dataset_classes, generic_classes  # noqa: E402
from app.engine.batch import BatchReport, plan_jobs, run_batch, write_job  # noqa: E402
from app.engine.imageio import read_image  # noqa: E402
from app.engine.segmenter import Segmenter  # noqa: E402
from app.model import PSPNetConfig, build_pspnet  # noqa: E402


def save_model(folder: Path, cfg: PSPNetConfig, name: str) -> Path:
    torch.manual_seed(0)
    meta = ModelMeta("native", cfg, dataset_classes("ade20k") if cfg.num_classes == 150 else
                     generic_classes(cfg.num_classes), name=name)
    return save_native(folder / f"{name.split()[0]}.safetensors", build_pspnet(cfg), meta)


def write_images(folder: Path, count: int, height: int, width: int) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        cells = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3))
        image = np.kron(cells, np.ones((16, 16, 1))).astype(np.uint8)[:height, :width]
        Image.fromarray(image).save(folder / f"img{i:03d}.jpg", quality=90)
    return folder


def check(report: BatchReport, count: int) -> None:
    ok = report.count("ok")
    assert ok == count, f"only {ok} of {count} images ok: {report.failures[:1]}"


def run_local(weights: Path, images: Path, out: Path, settings: ProtocolSettings, threads: int) -> float:
    """Seconds for the folder with the local engine (model loaded and warmed up first)."""
    torch.set_num_threads(threads)
    shutil.rmtree(out, ignore_errors=True)
    loaded = load_checkpoint(weights)
    segmenter = Segmenter(loaded, "cpu")
    jobs, _ = plan_jobs([images], out)
    segmenter.segment(read_image(jobs[0].source), settings)  # warm-up, as the workers get
    t0 = time.perf_counter()
    check(run_batch(jobs, segmenter, out, settings=settings), len(jobs))
    return time.perf_counter() - t0


def run_ray(weights: Path, images: Path, out: Path, settings: ProtocolSettings, workers: int
            ) -> tuple[float, float, list[int]]:
    """(seconds for the folder, seconds to start the workers, images per worker)."""
    from app.cluster.ray_engine import RayEngine, RayOptions  # noqa: PLC0415

    shutil.rmtree(out, ignore_errors=True)
    loaded = load_checkpoint(weights)
    t0 = time.perf_counter()
    with RayEngine(weights, RayOptions(workers=workers, batch_size=2)) as engine:
        engine.warm_up()
        start = time.perf_counter() - t0
        jobs, _ = plan_jobs([images], out)
        engine.run(jobs[:workers], out, loaded.meta, settings=settings)  # each worker runs the network once
        for p in out.iterdir():
            p.unlink()
        before = [s.done for s in engine.pool.slots]
        t0 = time.perf_counter()
        check(engine.run(jobs, out, loaded.meta, settings=settings), len(jobs))
        seconds = time.perf_counter() - t0
        return seconds, start, [s.done - b for s, b in zip(engine.pool.slots, before)]


def ray_round_trip(weights: Path, images: Path, out: Path, settings: ProtocolSettings, calls: int) -> float:
    """Seconds per image of the Ray machinery alone: the worker's ``process`` on images
    already done (it only checks that their outputs exist), ``calls`` times, two in flight."""
    from app.cluster.ray_engine import RayEngine, RayOptions  # noqa: PLC0415

    with RayEngine(weights, RayOptions(workers=1)) as engine:
        engine.warm_up()
        jobs, _ = plan_jobs([images], out)
        engine.run(jobs, out, load_checkpoint(weights).meta, settings=settings)
        actor = engine.pool.ready()[0].actor
        args = (str(out), ("label", "color", "overlay", "json"), settings, False)
        ray.get([actor.process.remote(job, *args) for job in jobs])  # warm
        t0 = time.perf_counter()
        pending = []
        for i in range(calls):
            pending.append(actor.process.remote(jobs[i % len(jobs)], *args))
            if len(pending) == 2:
                assert ray.get(pending.pop(0)).status == "skipped"
        ray.get(pending)
        return (time.perf_counter() - t0) / calls


def label_agreement(a: Path, b: Path) -> float:
    """Fraction of pixels with the same label in two runs' label maps (1.0: identical)."""
    labels = sorted(a.glob("img*[0-9].png"))
    assert labels, f"no label maps in {a}"
    same = total = 0
    for p in labels:
        x, y = np.array(Image.open(p)), np.array(Image.open(b / p.name))
        same, total = same + int((x == y).sum()), total + x.size
    return same / total


def io_seconds(images: Path, weights: Path, settings: ProtocolSettings, out: Path) -> float:
    """Per image, the CPU work around the network: decode plus the four output files."""
    loaded = load_checkpoint(weights)
    segmenter = Segmenter(loaded, "cpu")
    jobs, _ = plan_jobs([images], out)
    results = [(job, read_image(job.source)) for job in jobs[:4]]
    results = [(job, image, segmenter.segment(image, settings)) for job, image in results]
    t0 = time.perf_counter()
    for job, image, result in results:
        read_image(job.source)
        write_job(job, out, image, result, segmenter, ("label", "color", "overlay", "json"), overwrite=True)
    return (time.perf_counter() - t0) / len(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--size", default="384x512", help="HxW of the test images")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--base-size", type=int, default=256, help="long side the network sees (fast protocol)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2, help="interleaved repetitions; the best of each is kept")
    parser.add_argument("--overhead-calls", type=int, default=200)
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.split("x"))

    from app.cluster.ray_engine import start_local_ray  # noqa: PLC0415

    cpus = os.cpu_count() or 1
    settings = ProtocolSettings("fast", base_size=args.base_size)
    print(f"{args.images} images {height}x{width}, PSPNet {args.backbone} (150 classes, random weights), "
          f"fast protocol at {args.base_size}, {cpus} CPU(s), torch {torch.__version__}, ray {ray.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights = save_model(tmp, PSPNetConfig(num_classes=150, backbone=args.backbone), f"{args.backbone} model")
        tiny = save_model(tmp, PSPNetConfig(num_classes=5, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                                             ppm_channels=8, head_channels=16), "tiny model")
        images = write_images(tmp / "in", args.images, height, width)
        small = write_images(tmp / "small", 8, 48, 64)
        t0 = time.perf_counter()
        start_local_ray(cpus)  # workers at this process's priority, as the local engine
        print(f"Ray instance start: {time.perf_counter() - t0:.1f} s")
        names = ["local"] + (["local1"] if cpus > 1 else []) + [f"ray{w}" for w in args.workers]
        best = {n: float("inf") for n in names}
        starts: dict[str, list[float]] = {n: [] for n in names[1:]}
        splits: dict[str, list[int]] = {}
        same = {}
        try:
            for round_ in range(args.rounds):  # interleaved: a busy neighbour slows all configurations alike
                times = {"local": run_local(weights, images, tmp / "local", settings, cpus)}
                if cpus > 1:  # the thread count of each of 2 workers, for reference
                    times["local1"] = run_local(weights, images, tmp / "local1", settings, max(1, cpus // 2))
                    torch.set_num_threads(cpus)
                for w in args.workers:
                    out = tmp / f"ray{w}"
                    times[f"ray{w}"], start, splits[f"ray{w}"] = run_ray(weights, images, out, settings, w)
                    starts[f"ray{w}"].append(start)
                    same[f"ray{w}"] = label_agreement(out, tmp / "local")
                for n, seconds in times.items():
                    best[n] = min(best[n], seconds)
                print(f"round {round_ + 1}: " + ", ".join(f"{n} {t:.1f} s" for n, t in times.items()), flush=True)
            overhead = ray_round_trip(tiny, small, tmp / "tiny_ray", ProtocolSettings("fast", base_size=64),
                                      args.overhead_calls)
        finally:
            ray.shutdown()
        io = io_seconds(images, weights, settings, tmp / "io")

    base = args.images / best["local"]
    print(f"\n{'engine':<28} {'img/s':>7} {'s/img':>7} {'vs local':>9} {'worker start s':>15}  same labels  split")
    print(f"{'local engine':<28} {base:7.3f} {1 / base:7.2f} {1:8.2f}x {'-':>15}")
    if "local1" in best:
        rate = args.images / best["local1"]
        print(f"{'local engine, ' + str(max(1, cpus // 2)) + ' thread(s)':<28} {rate:7.3f} {1 / rate:7.2f} "
              f"{rate / base:8.2f}x {'-':>15}")
    for w in args.workers:
        n = f"ray{w}"
        rate = args.images / best[n]
        print(f"{'Ray, ' + str(w) + ' CPU worker' + ('s' if w > 1 else ''):<28} {rate:7.3f} {1 / rate:7.2f} "
              f"{rate / base:8.2f}x {min(starts[n]):15.1f}  {100 * same[n]:6.2f}%  {splits[n]}")
    print(f"\nRay machinery per image (a worker call on an image already done, {args.overhead_calls} calls): "
          f"{overhead * 1000:.1f} ms")
    print(f"CPU work around the network per {height}x{width} image (decode + 4 output files): {io * 1000:.0f} ms")


if __name__ == "__main__":
    main()
