"""Screenshots of the inspector's region and class views in the real main window at 1400x880.

Run under a virtual display with a window manager (the full-window mode floats the dock):

    xvfb-run -a -s "-screen 0 1400x880x24" sh -c \
        'openbox & sleep 1; .venv/bin/python docs/make_inspector_region_screenshots.py'

Opens a sample scene with the shipped model, opens the inspector and grabs: the
window with the inspector docked before any click, the full-window inspector with
a connected region picked and "why predicted and not the runner-up", the same
region's Grad-CAM panels, and a dragged box's split.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs import qt_wait  # noqa: E402 - PySide6 first, in there
from docs.shot_args import add_image_option, parse_screenshot_args, screenshot_parser  # noqa: E402


# this script's patience and pause (the shared helpers' are 300 s and 400 ms)
def wait_for(condition, timeout_s: float = 600) -> None:  # noqa: ANN001
    qt_wait.wait_for(condition, timeout_s)


def settle(ms: int = 600) -> None:
    qt_wait.settle(ms)


def open_inspector(weights: str, image: Path):  # noqa: ANN201 - a MainWindow (Qt imported late)
    """The main window at 1400x880 with ``weights`` loaded, ``image`` shown and the inspector open."""
    window, _shown = qt_wait.start_window(weights, None, size=(1400, 880), settle_ms=0)
    window.viewer.show(image)
    if not window.inspector.is_open():
        window.inspector.action.trigger()
    wait_for(lambda: window.inspector.dock.acts is not None)
    return window


def main() -> int:
    from app.gui.launch import first_sample

    parser = screenshot_parser(__doc__)
    add_image_option(parser, str(first_sample()))
    args = parse_screenshot_args(parser)
    out = args.out
    window = open_inspector(args.weights, Path(args.image))
    dock = window.inspector.dock
    dock.tabs.setCurrentWidget(dock.contrib_tab)
    tab = dock.contrib_tab
    wait_for(lambda: tab.maps is not None and len(tab.grid.values) > 0)
    settle(1000)
    window.grab().save(str(out / "inspector_docked_1400x880.png"))
    print("docked: contribution map", tab.map_view.graphics.width(), "x", tab.map_view.graphics.height(), "px")

    dock.full_button.click()
    settle(1000)
    labels = dock._labels
    height, width = labels.shape
    x, y = width // 2, int(height * 0.8)  # the lower middle of the scene: the ground
    tab.set_selection_mode("connected")
    window.view.pixelClicked.emit(x, y)
    wait_for(lambda: tab.split is not None)
    tab.why_button.click()
    wait_for(lambda: tab.versus_class() is not None and len(tab.grid.values) > 0
             and "\u2212" in tab.grid_title.text())
    settle(1000)
    dock.grab().save(str(out / "inspector_region_why_not.png"))
    print("full window:", dock.width(), "x", dock.height(), "; map", tab.map_view.graphics.width(), "x",
          tab.map_view.graphics.height(), "px; readout:", tab.readout.text())

    tab.set_versus(None)
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("gradcam"))
    wait_for(lambda: tab.part_maps.gradcam is not None)
    settle(1000)
    dock.grab().save(str(out / "inspector_gradcam.png"))
    tab.grid_mode.setCurrentIndex(tab.grid_mode.findData("exact"))
    tab.set_selection_mode("box")
    dock.select_box(width // 4, height // 8, width // 2, height // 2)
    wait_for(lambda: tab.split is not None and tab.split.kind == "box")
    settle(1000)
    dock.grab().save(str(out / "inspector_box.png"))
    print("box:", tab.readout.text())
    dock.full_button.click()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
