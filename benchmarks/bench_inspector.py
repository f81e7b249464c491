"""How fast the PPM inspector reacts, at ResNet-50 size (2048 feature channels, 4 x 512 branches).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_inspector.py [--size 64] [--only regions|erf]

The capture comes from the PPM of a ResNet-50 PSPNet (150 classes) on ReLU'd random
features of --size x --size cells (64 = a 512-pixel input); the backbone is not run.
Reported: the channel redraw the user sees when moving the slider (set value +
repaint), each reduction's first (uncached) and cached cost, the click's pixel split,
and the model jobs that run off the GUI thread. Ratios are against the 50 ms budget.
``--only regions``: just the head responses and the region splits (the issue's < 200 ms
target); ``--only erf``: the receptive field of a pixel (a full backbone forward and one
backward per path) for a ResNet-50 on a --size-cell input and for the shipped model's size.
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


def timed_cpu(fn, repeats: int = 1) -> tuple[float, float]:
    """Median wall and CPU milliseconds (the process's, all threads): on a shared machine the wall
    time counts other jobs' turns, the CPU time only this one's work."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - wall) * 1000.0)
        cpus.append((time.process_time() - cpu) * 1000.0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--only", choices=("regions", "erf"), default=None)
    parser.add_argument("--repeats", type=int, default=5, help="repeats of each region split (median)")
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
    if args.only == "regions":
        return report(region_rows(model, cap, acts, labels, args.repeats), dock)
    if args.only == "erf":
        return report(erf_rows(model, in_side), dock)
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
    rows += region_rows(model, cap, acts, labels, args.repeats)
    rows.append(("ablation, 3 branches zeroed (worker job)",
                 timed(lambda: run_ablation(model, cap, acts.geometry, [1, 2, 3], "zero"))))
    return report(rows, dock)


def region_rows(model, cap, acts, labels, repeats: int) -> list[tuple]:  # noqa: ANN001
    from app.engine.ppm_contrib import head_responses
    from app.engine.ppm_region import box_region, class_region, connected_region, split_region

    rows = [("head responses, once per image (worker job)", *timed_cpu(lambda: head_responses(model, cap)))]
    head = head_responses(model, cap)
    shape = acts.geometry.image_size
    regions = [("region split, one pixel", box_region(shape, 300, 200, 300, 200)),
               ("region split, 200x150 box", box_region(shape, 100, 100, 299, 249)),
               ("region split, whole image as one class", class_region(labels, 0))]
    for name, region in regions:
        rows.append((f"{name} (worker job)", *timed_cpu(lambda: split_region(head, acts.geometry, region), repeats)))
    rows.append(("connected region under a click (flood fill, GUI thread)",
                 *timed_cpu(lambda: connected_region(labels, 320, 240), 5)))
    big = dataclasses.replace(acts.geometry, image_size=(1024, 2048))
    rows.append(("region split, whole 2048x1024 photo (worker job)",
                 *timed_cpu(lambda: split_region(head, big, box_region(big.image_size, 0, 0, 2047, 1023)), repeats)))
    rows.append(("per-part maps of one class (worker job)", *timed_cpu(lambda: head.class_shares(3), 5)))
    return rows


def erf_rows(model, in_side: int) -> list[tuple]:  # noqa: ANN001
    """The receptive field of one pixel: ResNet-50 at this input size, and the shipped model's size."""
    from app.engine.ppm_analysis import capture_geometry
    from app.engine.ppm_erf import receptive_field
    from app.model import PSPNetConfig, build_pspnet

    rows = []
    compact = build_pspnet(PSPNetConfig(num_classes=12, backbone="resnet18", base_width=16, ppm_channels=32,
                                        head_channels=64))
    for name, net, size in ((f"ResNet-50, {in_side}x{in_side} input", model, (in_side, in_side)),
                            ("ResNet-18 width 16 (the shipped model's shape), 240x672 input", compact, (240, 672))):
        x = torch.randn(1, 3, *size)
        with torch.inference_mode():
            _, cap = net.forward_with_capture(x, upsample=False)
        geometry = capture_geometry(cap, size, size, net.cfg.align_corners)
        rows.append((f"receptive field of a pixel, {name} (worker job)",
                     *timed_cpu(lambda: receptive_field(net, x, geometry, size[1] // 2, size[0] // 2))))
    return rows


def report(rows: list[tuple], dock) -> int:  # noqa: ANN001
    """(name, wall ms) or (name, wall ms, CPU ms) rows."""
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs, load average {load:.1f}")
    print(f"{'operation':70s} {'ms':>9s} {'x budget':>9s} {'CPU ms':>9s}")
    for name, ms, *cpu in rows:
        print(f"{name:70s} {ms:9.1f} {ms / BUDGET_MS:9.2f} {cpu[0] if cpu else float('nan'):9.1f}")
    dock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
