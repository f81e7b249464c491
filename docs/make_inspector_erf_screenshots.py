"""Screenshots of the inspector's receptive-field view, a pinned image and the docked layout at 1400x880.

Run under a virtual display with a window manager (the full-window mode floats the dock):

    xvfb-run -a -s "-screen 0 1400x880x24" sh -c \
        'openbox & sleep 1; .venv/bin/python docs/make_inspector_erf_screenshots.py'

Opens the harbour sample with the shipped model and grabs: the docked inspector before
any click; the receptive field of a water pixel, docked and in full window; then pins
the harbour, moves to the street sample and grabs both images' bin-6 maps side by side
(the channel whose grids differ most, on one colour scale) and their ground pixels'
splits (the harbour's as paler bars).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs import qt_wait  # noqa: E402 - PySide6 first, in there
from docs.make_inspector_region_screenshots import open_inspector  # noqa: E402
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402

SAMPLES = ROOT / "resources" / "samples" / "images"


def wait_for(condition, timeout_s: float = 600) -> None:  # noqa: ANN001
    qt_wait.wait_for(condition, timeout_s)


def size(widget) -> str:  # noqa: ANN001
    return f"{widget.width()}x{widget.height()}"


def shown_extent(map_view) -> str:  # noqa: ANN001 - a MapView
    """The photo's size on screen in a map view (its rect mapped to the widget)."""
    photo = map_view.photo
    rect = photo.mapRectToScene(photo.boundingRect())
    return f"{rect.width():.0f}x{rect.height():.0f}"


def main() -> int:
    parser = screenshot_parser(__doc__)
    parser.add_argument("--harbour", default=str(SAMPLES / "scene_20000000.jpg"))
    parser.add_argument("--street", default=str(SAMPLES / "scene_20000001.jpg"))
    args = parse_screenshot_args(parser)
    out = args.out
    window = open_inspector(args.weights, Path(args.harbour))
    dock = window.inspector.dock
    contrib, erf, maps = dock.contrib_tab, dock.erf_tab, dock.maps_tab
    dock.tabs.setCurrentWidget(contrib)
    wait_for(lambda: contrib.maps is not None and len(contrib.grid.values) > 0)
    qt_wait.settle(1000)
    window.grab().save(str(out / "inspector_docked_1400x880.png"))
    for tab in (contrib, maps, dock.ablation_tab):
        dock.tabs.setCurrentWidget(tab)
        qt_wait.settle(600)
        print(f"docked, before a click: {type(tab).__name__} map view", size(tab.map_view.graphics),
              "; the photo drawn at", shown_extent(tab.map_view), "px")
    dock.tabs.setCurrentWidget(contrib)

    height, width = dock._labels.shape
    ground = (width // 2, int(height * 0.8))
    dock.tabs.setCurrentWidget(erf)
    qt_wait.settle(600)
    window.view.pixelClicked.emit(*ground)
    wait_for(lambda: erf.field is not None)
    qt_wait.settle(1000)
    window.grab().save(str(out / "inspector_erf_docked.png"))
    print("receptive field, docked: grid", size(erf.grid.graphics), "; readout:", erf.readout.text())
    dock.full_button.click()
    erf.scale.setCurrentIndex(erf.scale.findData("sqrt"))  # the faint far reach of the pooled branches
    qt_wait.settle(1500)
    assert erf.field is not None, "the field was lost on going full window"
    dock.grab().save(str(out / "inspector_erf.png"))

    dock.tabs.setCurrentWidget(contrib)
    window.view.pixelClicked.emit(*ground)
    wait_for(lambda: contrib.split is not None)
    harbour_acts = dock.acts
    dock.pin_button.click()
    window.viewer.show(Path(args.street))
    wait_for(lambda: dock.acts is not None and dock.acts is not harbour_acts)
    wait_for(lambda: contrib.maps is not None)
    window.view.pixelClicked.emit(*ground)
    wait_for(lambda: contrib.split is not None)
    qt_wait.settle(1000)
    dock.grab().save(str(out / "inspector_pinned_split.png"))
    print("pinned split:", contrib.readout.text())

    import numpy as np

    source = len(harbour_acts.names) - 1  # the finest branch (bin 6): where the grids differ in space
    a = np.stack([harbour_acts.channel(source, "pooled", i) for i in range(harbour_acts.channel_count(source))])
    b = np.stack([dock.acts.channel(source, "pooled", i) for i in range(dock.acts.channel_count(source))])
    channel = int(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean(axis=(1, 2)).argmax())
    dock.tabs.setCurrentWidget(maps)
    maps.source.setCurrentIndex(source)
    maps.reduction.setCurrentIndex(maps.reduction.findData("channel"))
    maps.view_mode.setCurrentIndex(maps.view_mode.findData("upsampled"))
    maps.spin.setValue(channel)
    qt_wait.settle(1500)
    dock.grab().save(str(out / "inspector_pinned_maps.png"))
    print(f"pinned maps: {harbour_acts.names[source]} channel {channel}; levels", maps.map_view.levels(),
          maps.pinned.levels())
    dock.full_button.click()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
