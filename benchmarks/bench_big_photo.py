"""A big photo through ``segment`` with the shipped model (run by hand, never in CI).

    python benchmarks/bench_big_photo.py [--size 6000x8000] [--threads 2]

Each run is a child process (``main.py segment PHOTO --out DIR --formats ...``), so its
peak RSS is its own. Printed for label-only and for the default outputs: wall seconds,
peak RSS, and the ratio to a baseline measured in the same child: decoding the photo
plus one forward of the network input, the part no upsampling or writing can remove.
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


def child(photo: str, out: str, formats: str, threads: int) -> None:
    import torch

    from app.checkpoints import load_checkpoint
    from app.cli import main
    from app.engine.fast import fast_input
    from app.engine.imageio import read_image
    from app.paths import DEFAULT_WEIGHTS

    torch.set_num_threads(threads)
    loaded = load_checkpoint(DEFAULT_WEIGHTS)
    t = time.perf_counter()
    image = read_image(Path(photo))
    x = fast_input(image, loaded.meta.protocol("fast"), loaded.meta.normalization, torch.device("cpu"))
    with torch.no_grad():
        loaded.model.eval()(x)
    baseline = time.perf_counter() - t
    del image, x
    t = time.perf_counter()
    code = main(["segment", photo, "--out", out, "--formats", formats, "--device", "cpu"])
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"code": code, "wall": wall, "baseline": baseline, "rss_mb": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="6000x8000", help="HxW of the photo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, threads=args.threads)
        return
    from PIL import Image

    h, w = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        sample = sorted((ROOT / "resources" / "samples" / "images").iterdir())[0]
        photo = Path(tmp) / "big.jpg"
        with Image.open(sample) as im:
            im.convert("RGB").resize((w, h), Image.Resampling.BICUBIC).save(photo, quality=92)
        for formats in ("label", "label,color,overlay,json"):
            out = Path(tmp) / formats.replace(",", "_")
            run = subprocess.run([sys.executable, __file__, "--threads", str(args.threads), "--child",
                                  str(photo), str(out), formats], capture_output=True, text=True, check=True)
            r = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"{w}x{h}, --formats {formats}: {r['wall']:.1f} s, peak RSS {r['rss_mb']:.0f} MB, "
                  f"{r['wall'] / r['baseline']:.1f}x the decode + forward baseline ({r['baseline']:.1f} s), "
                  f"exit {r['code']}")


if __name__ == "__main__":
    main()
