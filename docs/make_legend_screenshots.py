"""Screenshots of the legend's state rules (issue 18) for docs/ (run by hand).

    python docs/make_legend_screenshots.py [--weights PATH] [--out docs/screenshots]

Opens the sample scenes with the default model, hides one class and highlights a small
one (the line under the list says both), then goes to the next scene: a highlight carries
over only when that scene has the class; hidden classes stay hidden and are named.
Works offscreen or on a display (QT_QPA_PLATFORM=xcb under Xvfb).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402 - PySide6 before pyqtgraph

from app.gui.pyside_fixes import protect_singletons_from_refcount_leak  # noqa: E402

protect_singletons_from_refcount_leak()
import pyqtgraph as pg  # noqa: E402

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

from docs.qt_wait import settle, wait_for  # noqa: E402


def main() -> int:
    from app.gui.launch import first_sample
    from app.gui.main_window import MainWindow
    from app.paths import DEFAULT_WEIGHTS

    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    app.setApplicationName("PSPNet Studio screenshots")
    win = MainWindow()
    win.resize(1400, 880)
    win.show()
    shown: list[object] = []
    win.viewer.resultShown.connect(shown.append)
    win.start(args.weights, first_sample())
    wait_for(lambda: bool(shown))
    settle(1500)  # thumbnails
    display = win.viewer.display  # the Qt-free model the legend shows
    present = display.present()
    display.set_visible(present[1], False)
    display.set_highlight(present[-2])  # a small class: the next scene may lack it
    settle()
    win.grab().save(str(out / "legend-hidden-and-highlight.png"))
    count = len(shown)
    win.viewer.navigate(1)
    wait_for(lambda: len(shown) > count)
    settle()
    win.grab().save(str(out / "legend-next-image.png"))
    print("highlight on the next image:", display.highlight, "-", display.summary())
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
