"""Screenshots of the window's layout at a given size, on a second start (run by hand).

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/make_layout_screenshots.py --size 1400x880

With a window manager (openbox) on that display the window gets real frames and focus,
as a user's desktop gives it. Settings live in a temporary folder. A first window opens
the sample folder, shows the batch dock (as a finished Label Folder run leaves it) and
closes, saving its state; the second window is the one photographed: the batch dock must
not come back, and the inspector is opened and a pixel clicked. Saves
``layout-WxH.png`` (the window), ``layout-WxH-inspector.png``, the same with the
confidence threshold panel shown (``layout-WxH-threshold-inspector.png``, a tab of the
legend's place) and the inspector's contribution tab before any click in --out.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.qt_wait import settle, start_window, wait_for  # noqa: E402 - PySide6 first, in there
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402


def main() -> int:
    from app.gui.launch import first_sample

    parser = screenshot_parser(__doc__)
    parser.add_argument("--size", default="1400x880", help="window size WxH")
    args = parse_screenshot_args(parser)
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = args.out
    sample = first_sample()
    assert sample is not None, "no sample scene"

    first, _ = start_window(args.weights, sample, (width, height), settle_ms=1200)  # thumbnails, layout
    first.batch.dock.show()  # as a finished Label Folder run leaves it
    settle(300)
    first.close()
    settle(300)

    win, shown = start_window(args.weights, sample, (width, height), settle_ms=1200)
    print(f"window {win.width()}x{win.height()}, batch dock visible: {win.batch.dock.isVisible()}, "
          f"active: {win.isActiveWindow()}")
    win.grab().save(str(out / f"layout-{width}x{height}.png"))
    count = len(shown)
    win.inspector.action.trigger()
    wait_for(lambda: len(shown) > count)  # the image again, with the pooled maps captured
    settle(1500)
    dock = win.inspector.dock
    dock.tabs.setCurrentIndex(1)  # the contribution tab before any click
    settle(1500)
    dock.grab().save(str(out / f"layout-{width}x{height}-contribution-before-click.png"))
    dock.tabs.setCurrentIndex(0)
    labels = shown[-1].result.labels  # type: ignore[attr-defined]
    h, w = labels.shape
    win.view.pixelClicked.emit(int(w * 0.5), int(h * 0.7))
    settle(2500)
    print(f"inspector {dock.width()}x{dock.height()}, legend {win.legend.width()}x{win.legend.height()}, "
          f"view {win.view.width()}x{win.view.height()}")
    win.grab().save(str(out / f"layout-{width}x{height}-inspector.png"))
    win.review.threshold_dock.toggleViewAction().trigger()  # Review > Confidence Threshold: the legend's tab
    settle(800)
    print(f"threshold {win.review.threshold_dock.width()}x{win.review.threshold_dock.height()}, "
          f"inspector {dock.width()}x{dock.height()}")
    win.grab().save(str(out / f"layout-{width}x{height}-threshold-inspector.png"))
    win.close()
    settle(300)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
