"""Export benchmark (run by hand, never in CI).

    python benchmarks/bench_export.py [--maps 10] [--scale 4]

Builds a run folder of generated scenes scaled up ``--scale`` times (448 x 160 ->
1792 x 640 by default) with JPEG photos, then times each export format and sums
the size of what it wrote besides the photos. Photos are decoded once per map
(the size check), which is most of the time for the mask formats.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine.writers import cvat_labelmap, label_image  # noqa: E402
from app.interchange.exporter import EXPORT_FORMATS, export_run  # noqa: E402
from app.training.scenes import generate_scene, scene_classes  # noqa: E402


def make_run(root: Path, count: int, scale: int) -> tuple[int, int]:
    run = root / "run"
    run.mkdir()
    for seed in range(count):
        scene = generate_scene(seed, (448, 160))
        labels = np.kron(scene.labels.astype(np.uint8), np.ones((scale, scale), np.uint8))
        photo = root / f"p{seed}.jpg"
        Image.fromarray(np.kron(scene.image, np.ones((scale, scale, 1), np.uint8))).save(photo, quality=90)
        label_image(labels, scene_classes()).save(run / f"p{seed}.png")
        (run / f"p{seed}.json").write_text(json.dumps({"image": {"path": str(photo)}}))
    (run / "labelmap.txt").write_text(cvat_labelmap(scene_classes()))
    return labels.shape[1], labels.shape[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--maps", type=int, default=10)
    parser.add_argument("--scale", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        width, height = make_run(root, args.maps, args.scale)
        for fmt in EXPORT_FORMATS:
            started = time.perf_counter()
            report = export_run(root / "run", fmt, root / fmt)
            seconds = time.perf_counter() - started
            size = sum(p.stat().st_size for p in (root / fmt).rglob("*") if p.is_file() and p.suffix != ".jpg")
            print(f"{fmt:10s} {seconds:5.2f} s for {len(report.exported)} maps of {width}x{height}, "
                  f"{size / 1e6:.2f} MB besides the photos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
