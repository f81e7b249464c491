"""A big photo through ``segment`` with the shipped model (run by hand, never in CI).

    python benchmarks/bench_big_photo.py [--size 6000x8000] [--threads 2]

Each run is a child process (``main.py segment PHOTO --out DIR --formats ...``), so its
peak RSS is its own (read when the run ends, before the baseline below runs). Printed for label-only and for the default outputs: wall seconds,
peak RSS, and the ratio to a baseline measured in the same child: decoding the photo
plus one forward of the network input, the part no upsampling or writing can remove.

A third child times what the window shows and how fast cancel acts on that photo: the
decode, the quick preview and the exact labels of ``Segmenter.segment(preview=...)``,
and for a cancel set at several moments inside segmenting and inside writing the
default outputs, the seconds until ``Cancelled`` came back (and that no file was left).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def big_photo(folder: Path, height: int, width: int) -> Path:
    """The first shipped sample scaled up to height x width, as a JPEG in ``folder``."""
    from PIL import Image

    sample = sorted((ROOT / "resources" / "samples" / "images").iterdir())[0]
    photo = folder / "big.jpg"
    with Image.open(sample) as im:
        im.convert("RGB").resize((width, height), Image.Resampling.BICUBIC).save(photo, quality=92)
    return photo


def child(photo: str, out: str, formats: str, threads: int) -> None:
    import torch

    from app.checkpoints import load_checkpoint
    from app.cli import main
    from app.engine.fast import fast_input
    from app.engine.imageio import read_image
    from app.paths import DEFAULT_WEIGHTS

    torch.set_num_threads(threads)
    t = time.perf_counter()
    code = main(["segment", photo, "--out", out, "--formats", formats, "--device", "cpu"])
    wall = time.perf_counter() - t
    # the run's own peak: read before the baseline, whose freed activations can stay resident
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    loaded = load_checkpoint(DEFAULT_WEIGHTS)
    t = time.perf_counter()
    image = read_image(Path(photo))
    x = fast_input(image, loaded.meta.protocol("fast"), loaded.meta.normalization, torch.device("cpu"))
    with torch.no_grad():
        loaded.model.eval()(x)
    baseline = time.perf_counter() - t
    print(json.dumps({"code": code, "wall": wall, "baseline": baseline, "rss_mb": peak}))


def stages(photo: str, out: str, threads: int) -> None:
    import threading

    import torch

    from app.checkpoints import load_checkpoint
    from app.engine.imageio import read_image
    from app.engine.result import Cancelled
    from app.engine.segmenter import Segmenter
    from app.engine.writers import OUTPUT_FORMATS, output_paths, write_outputs
    from app.paths import DEFAULT_WEIGHTS

    torch.set_num_threads(threads)
    segmenter = Segmenter(load_checkpoint(DEFAULT_WEIGHTS), "cpu")
    t = time.perf_counter()
    image = read_image(Path(photo))
    report: dict = {"decode": time.perf_counter() - t}
    t = time.perf_counter()
    seen: list[float] = []
    result = segmenter.segment(image, preview=lambda _quick: seen.append(time.perf_counter() - t))
    report.update(preview=seen[0] if seen else None, exact=time.perf_counter() - t)

    def cancel_after(delay: float, work) -> float | None:
        """Seconds from setting the cancel ``delay`` s into ``work(cancel)`` until Cancelled
        (None: the work finished before the cancel was set)."""
        cancel = threading.Event()
        timer = threading.Timer(delay, lambda: (cancel.set(), marks.append(time.perf_counter())))
        marks: list[float] = []
        timer.start()
        try:
            work(cancel)
        except Cancelled:
            return time.perf_counter() - marks[0]
        finally:
            timer.cancel()
        return None

    exact = report["exact"]
    report["cancel_segment"] = {f"{d:.1f}": cancel_after(d, lambda c: segmenter.segment(image, cancel=c))
                                for d in (0.1 * exact, 0.4 * exact, 0.7 * exact, 0.9 * exact)}
    paths = output_paths(Path(out) / "big", OUTPUT_FORMATS)
    Path(out).mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    write_outputs(paths, image, result, segmenter.loaded.meta.classes, photo, {}, overwrite=True)
    written = time.perf_counter() - t
    for p in paths.values():
        p.unlink()
    report["write"] = written
    report["cancel_write"], report["left_behind"] = {}, []
    for delay in (0.2 * written, 0.5 * written, 0.8 * written):
        stopped = cancel_after(delay, lambda c: write_outputs(paths, image, result, segmenter.loaded.meta.classes,
                                                              photo, {}, cancel=c))
        report["cancel_write"][f"{delay:.1f}"] = stopped
        if stopped is not None:
            report["left_behind"] += sorted(p.name for p in Path(out).iterdir())
        for path in Path(out).iterdir():
            path.unlink()
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="6000x8000", help="HxW of the photo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--stages-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, threads=args.threads)
        return
    if args.stages_child:
        stages(*args.stages_child, threads=args.threads)
        return
    h, w = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        photo = big_photo(Path(tmp), h, w)
        for formats in ("label", "label,color,overlay,json"):
            out = Path(tmp) / formats.replace(",", "_")
            run = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--child",
                                  str(photo), str(out), formats], capture_output=True, text=True, check=True)
            r = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"{w}x{h}, --formats {formats}: {r['wall']:.1f} s, peak RSS {r['rss_mb']:.0f} MB, "
                  f"{r['wall'] / r['baseline']:.1f}x the decode + forward baseline ({r['baseline']:.1f} s), "
                  f"exit {r['code']}")
        run = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--stages-child",
                              str(photo), str(Path(tmp) / "stages")], capture_output=True, text=True, check=True)
        r = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"window: decode {r['decode']:.1f} s, then preview after {r['preview']:.1f} s and exact labels "
              f"after {r['exact']:.1f} s of segmenting; writing the default outputs {r['write']:.1f} s")
        for stage in ("cancel_segment", "cancel_write"):
            print(f"{stage}: " + ", ".join(f"set at {at} s -> " + ("finished first" if s is None else
                                                                    f"stopped {s:.2f} s later")
                                           for at, s in r[stage].items()))
        print(f"files left by the cancelled writes: {r['left_behind'] or 'none'}")


if __name__ == "__main__":
    main()
