"""How fast the PPM inspector reacts, at ResNet-50 size (2048 feature channels, 4 x 512 branches).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_inspector.py [--size 64]

The capture comes from the PPM of a ResNet-50 PSPNet (150 classes) on ReLU'd random
features of --size x --size cells (64 = a 512-pixel input); the backbone is not run.
Reported: the channel redraw the user sees when moving the slider (set value +
repaint), each reduction's first (uncached) and cached cost, the click's pixel split,
and the model jobs that run off the GUI thread. Ratios are against the 50 ms budget.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import PySide6.QtCore  # noqa: E402,F401
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

BUDGET_MS = 50.0


def timed(fn, repeats: int = 1) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(2)
    app = QApplication.instance() or QApplication(sys.argv)
    from app.gui.pyside_fixes import protect_singletons_from_refcount_leak

    protect_singletons_from_refcount_leak()  # PySide6 6.12.0 refcount bug, see docs/inspector.md
    from app.checkpoints.meta import LoadedModel, ModelMeta
    from app.classes import generic_classes
    from app.engine.result import SegmentationResult
    from app.checkpoints.meta import ProtocolSettings
    from app.gui.inspector import PPMInspectorDock, synchronous_submit
    from app.gui.worker_types import ModelInfo
    from app.model import PSPNetConfig, build_pspnet

    cfg = PSPNetConfig(num_classes=150)
    torch.manual_seed(0)
    model = build_pspnet(cfg)
    size = args.size
    with torch.inference_mode():
        _, cap = model.ppm(F.relu(torch.randn(1, 2048, size, size)), capture=True)
    cap = cap.to("cpu", torch.float16)
    in_side = (size - 1) * 8 + 1
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    labels = np.zeros((480, 640), np.uint8)
    result = SegmentationResult(labels, np.ones_like(labels, np.float32), np.bincount(labels.ravel(), minlength=150),
                                ProtocolSettings(), "cpu", 0.0, cap, (in_side, in_side))
    loaded = LoadedModel(model, ModelMeta("semseg", cfg, generic_classes(150)))

    class Context:
        pass

    ctx = Context()
    ctx.loaded = loaded
    dock = PPMInspectorDock(submit=synchronous_submit(ctx), background=synchronous_submit())
    dock.resize(800, 900)
    dock.show()
    start = time.perf_counter()
    dock.set_result(image, result, ModelInfo.describe(loaded))
    app.processEvents()
    print(f"set_result (incl. gallery ranking of 2048 channels): {(time.perf_counter() - start) * 1000:.0f} ms")
    tab = dock.maps_tab
    acts = dock.acts
    rows = []
    for source, view in [(0, "upsampled"), (4, "pooled"), (4, "upsampled")]:
        tab.source.setCurrentIndex(source)
        tab.view_mode.setCurrentIndex(tab.view_mode.findData(view))
        tab.reduction.setCurrentIndex(tab.reduction.findData("channel"))
        counter = iter(range(1, 10_000))

        def step() -> None:
            tab.spin.setValue(next(counter))
            app.processEvents()  # include the repaint

        rows.append((f"channel redraw, {acts.names[source]} {view}", timed(step, 30)))
    for kind in ("mean", "max", "l2", "pca"):
        rows.append((f"{kind} of features, first (computed)", timed(lambda: acts.reduce(0, "upsampled", kind))))
        rows.append((f"{kind} of features, cached", timed(lambda: acts.reduce(0, "upsampled", kind), 10)))
    from app.engine.ppm_ablation import run_ablation
    from app.engine.ppm_contrib import attribute_pixel, contribution_maps

    rows.append(("pixel split on click (worker job)",
                 timed(lambda: attribute_pixel(model, cap, acts.geometry, 300, 200), 5)))
    maps_ms = timed(lambda: contribution_maps(model, cap))
    rows.append(("contribution maps (worker job)", maps_ms))
    from app.engine.ppm_contrib import head_responses
    from app.engine.ppm_region import box_region, class_region, connected_region, split_region

    rows.append(("head responses, once per image (worker job)", timed(lambda: head_responses(model, cap))))
    head = head_responses(model, cap)
    shape = acts.geometry.image_size
    regions = [("region split, one pixel", box_region(shape, 300, 200, 300, 200)),
               ("region split, 200x150 box", box_region(shape, 100, 100, 299, 249)),
               ("region split, whole image as one class", class_region(labels, 0))]
    for name, region in regions:
        rows.append((f"{name} (worker job)", timed(lambda: split_region(head, acts.geometry, region), 5)))
    rows.append(("connected region under a click (flood fill, GUI thread)",
                 timed(lambda: connected_region(labels, 320, 240), 5)))
    big = dataclasses.replace(acts.geometry, image_size=(1024, 2048))
    rows.append(("region split, whole 2048x1024 photo (worker job)",
                 timed(lambda: split_region(head, big, box_region(big.image_size, 0, 0, 2047, 1023)), 3)))
    rows.append(("per-part maps of one class (worker job)", timed(lambda: head.class_shares(3), 5)))
    rows.append(("ablation, 3 branches zeroed (worker job)",
                 timed(lambda: run_ablation(model, cap, acts.geometry, [1, 2, 3], "zero"))))
    print(f"{'operation':58s} {'ms':>9s} {'x budget':>9s}")
    for name, ms in rows:
        print(f"{name:58s} {ms:9.1f} {ms / BUDGET_MS:9.2f}")
    dock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
