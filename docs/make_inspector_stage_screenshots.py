"""Screenshots of a region's receptive field and of Grad-CAM at the backbone's stages (1400x880 window).

Run under a virtual display with a window manager (the full-window mode floats the dock):

    Xvfb :96 -screen 0 1440x900x24 &  DISPLAY=:96 openbox &
    DISPLAY=:96 .venv/bin/python docs/make_inspector_stage_screenshots.py

Opens the harbour sample with the shipped model, floats the inspector over the window and
grabs: the receptive field of the smallest class in the image (Select: Whole class, a
click on one of its pixels; square-root scale; the union of its pixels' analytic boxes
outlined per path), then, in the
Contribution tab, Grad-CAM (ReLU) of the connected water region at the stem and
layer1..layer4 (five equally wide panels), and at layer4 alone for a class predicted
nowhere near there (the first one absent, if any).
Prints each job's wall time as the window saw it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs import qt_wait  # noqa: E402 - PySide6 first, in there
from docs.make_inspector_region_screenshots import open_inspector  # noqa: E402
from docs.shot_args import add_image_option, parse_screenshot_args, screenshot_parser  # noqa: E402

SAMPLES = ROOT / "resources" / "samples" / "images"


def wait_for(condition, timeout_s: float = 900) -> float:  # noqa: ANN001
    """Wait, and say how long it took (seconds)."""
    started = time.perf_counter()
    qt_wait.wait_for(condition, timeout_s)
    return time.perf_counter() - started


def main() -> int:
    parser = screenshot_parser(__doc__)
    add_image_option(parser, str(SAMPLES / "scene_20000000.jpg"))
    args = parse_screenshot_args(parser)
    out = args.out
    window = open_inspector(args.weights, Path(args.image))
    dock = window.inspector.dock
    contrib, erf = dock.contrib_tab, dock.erf_tab
    height, width = dock._labels.shape
    ground = (width // 2, int(height * 0.8))  # the water band of the harbour scene

    import numpy as np

    counts = np.bincount(dock._labels.ravel())
    smallest = int(np.argmin(np.where(counts > 0, counts, counts.max() + 1)))
    where = np.argwhere(dock._labels == smallest)
    y, x = (int(v) for v in where[len(where) // 2])
    dock.full_button.click()
    dock.tabs.setCurrentWidget(erf)
    erf.set_selection_mode("class")
    erf.scale.setCurrentIndex(erf.scale.findData("sqrt"))
    qt_wait.settle(800)
    print("asking for the region's field", flush=True)
    window.view.pixelClicked.emit(x, y)
    seconds = wait_for(lambda: erf.field is not None or "Could not" in erf.readout.text())
    qt_wait.settle(1200)
    dock.grab().save(str(out / "inspector_erf_region.png"))
    print(f"region field ({erf.field.pixel_count} px) in {seconds:.1f} s wall;", erf.readout.text())

    dock.tabs.setCurrentWidget(contrib)
    wait_for(lambda: contrib.maps is not None)
    contrib.set_selection_mode("connected")
    window.view.pixelClicked.emit(*ground)
    wait_for(lambda: contrib.split is not None)
    contrib.grid_mode.setCurrentIndex(contrib.grid_mode.findData("gradcam_relu"))
    contrib.part_maps.where.setCurrentIndex(contrib.part_maps.where.findData("stages"))
    seconds = wait_for(lambda: contrib.part_maps.stage_cam is not None)
    qt_wait.settle(1200)
    dock.grab().save(str(out / "inspector_gradcam_stages.png"))
    print(f"stage Grad-CAM in {seconds:.1f} s wall;", contrib.grid_title.text())

    absent = [c for c in range(len(contrib.class_names)) if not (dock._labels == c).any()]
    if absent:
        contrib.set_selection_mode("pixel")
        contrib.split = None  # back to "no selection": the class's predicted pixels
        contrib.part_maps.where.setCurrentIndex(contrib.part_maps.where.findData("layer4"))
        contrib.set_target(absent[0])
        wait_for(lambda: contrib.part_maps.stage_cam is not None)
        qt_wait.settle(800)
        print("absent class:", contrib.grid_title.text(), "; map max", float(np.max(contrib.grid.values[0])))
    dock.full_button.click()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
