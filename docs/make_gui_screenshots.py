"""Screenshots of the viewer for docs/ (run by hand, offscreen, no display needed).

    python docs/make_gui_screenshots.py [--weights PATH] [--out docs/screenshots]

Opens the sample scenes with the given (or default) model, then grabs: the
overlay with the cursor read-out, side by side with contours and a highlighted
class, the confidence map, and the legend's state rules (a hidden class and a
highlight, then the next scene). Works offscreen or on a display (xcb under Xvfb).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF  # noqa: E402

from docs.qt_wait import settle, start_window, wait_for  # noqa: E402
from docs.shot_args import add_image_option, parse_screenshot_args, screenshot_parser  # noqa: E402


def main() -> int:
    from app.gui.launch import first_sample

    parser = screenshot_parser(__doc__)
    add_image_option(parser)
    args = parse_screenshot_args(parser)
    out = args.out
    win, shown = start_window(args.weights, args.image or first_sample())
    item = shown[-1]
    labels = item.result.labels  # type: ignore[attr-defined]
    h, w = labels.shape
    x, y = int(w * 0.62), int(h * 0.78)
    view = win.view
    view.graphics.scene().sigMouseMoved.emit(view.main_pane.view.mapViewToScene(QPointF(x + 0.5, y + 0.5)))
    settle()
    win.grab().save(str(out / "viewer-overlay.png"))

    win.set_overlay_mode("both")
    win.actions_.side_by_side.setChecked(True)
    win.set_side_by_side(True)
    win.legend.set_highlight(int(labels[y, x]))
    settle()
    win.grab().save(str(out / "viewer-side-by-side.png"))

    win.legend.set_highlight(-1)
    win.set_side_by_side(False)
    win.actions_.side_by_side.setChecked(False)
    win.set_overlay_mode("contour")
    win.actions_.confidence.setChecked(True)
    win.set_confidence_map(True)
    win.actions_.opacity_slider.setValue(80)
    settle()
    win.grab().save(str(out / "viewer-confidence.png"))

    # The legend's rules (issue 18): hide one class, highlight a small one; on the next scene
    # the highlight of a class it lacks goes, and the hidden class stays hidden, named.
    win.actions_.confidence.setChecked(False)
    win.set_confidence_map(False)
    win.set_overlay_mode("fill")
    win.actions_.opacity_slider.setValue(55)
    display = win.viewer.display  # the Qt-free model the legend shows
    present = display.present()
    display.set_visible(present[1], False)
    display.set_highlight(present[-2])
    settle()
    win.grab().save(str(out / "legend-hidden-and-highlight.png"))
    count = len(shown)
    win.viewer.navigate(1)
    wait_for(lambda: len(shown) > count)
    settle()
    win.grab().save(str(out / "legend-next-image.png"))
    print("legend on the next image:", display.summary())
    win.close()
    print("saved", *sorted(p.name for p in out.glob("viewer-*.png")), *sorted(p.name for p in out.glob("legend-*.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
