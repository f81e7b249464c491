"""Confidence-threshold benchmark (run by hand, never in CI).

    python benchmarks/bench_threshold.py [--sizes 4000x3000 8000x6000] [--repeat 3]

Times, on random labels (20 classes) and confidences, the work the window does when the
threshold changes: which pixels are below (global only, and with one per-class value),
the saved map (``apply_confidence_threshold``) and the hatched labels the view draws
(``hatched_labels``). Prints the best of ``--repeat`` runs in ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.viewing.rendering import hatched_labels  # noqa: E402 - numpy only, no Qt
from app.labels.threshold import apply_confidence_threshold, below_threshold  # noqa: E402


def best_ms(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", default=["4000x3000", "8000x6000"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("size        below(global)  below(per-class)  apply  hatch   (ms, best of %d)" % args.repeat)
    for size in args.sizes:
        width, height = (int(v) for v in size.split("x"))
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 20, (height, width)).astype(np.uint8)
        confidence = rng.random((height, width), dtype=np.float32)
        below = below_threshold(labels, confidence, 0.5)
        row = [best_ms(lambda: below_threshold(labels, confidence, 0.5), args.repeat),
               best_ms(lambda: below_threshold(labels, confidence, 0.5, {3: 0.9}), args.repeat),
               best_ms(lambda: apply_confidence_threshold(labels, confidence, 0.5, {3: 0.9}), args.repeat),
               best_ms(lambda: hatched_labels(labels, below, 20), args.repeat)]
        print(f"{size:<11} " + "  ".join(f"{v:>13.0f}" if i < 2 else f"{v:>6.0f}" for i, v in enumerate(row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
