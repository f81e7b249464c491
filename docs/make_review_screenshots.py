"""Screenshots of the review workflow for docs/ (run by hand, offscreen, no display needed).

    python docs/make_review_screenshots.py [--weights PATH] [--out docs/screenshots]

Generates ten held-out scenes, labels them with ``main.py segment`` (the app's own
outputs: ``images_labels/`` with NAME.png, NAME.json and labelmap.txt), opens the
folder in the window (the labels show without running the model), reviews a few
images with the keys, sorts by lowest confidence, and grabs the window; then runs
the model on one image with the confidence threshold on and grabs the hatching.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from docs.qt_wait import settle, start_window, wait_for  # noqa: E402
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402


def labelled_folder(work: Path, weights: str) -> Path:
    run = [sys.executable, str(ROOT / "main.py")]
    subprocess.run(run + ["generate", "--out", str(work), "--count", "10", "--seed", "20000100",
                          "--size", "672x240", "--format", "jpg"], check=True, stdout=subprocess.DEVNULL)
    images = work / "images"
    subprocess.run(run + ["segment", str(images), "--out", str(work / "images_labels"), "--weights", weights],
                   check=True, stdout=subprocess.DEVNULL)
    return images


def main() -> int:
    args = parse_screenshot_args(screenshot_parser(__doc__))
    out = args.out
    work = Path(tempfile.mkdtemp(prefix="review-shots-"))
    images = labelled_folder(work, args.weights)
    win, shown = start_window(args.weights, images, settle_ms=0)
    win.resizeDocks([win.folder], [420], Qt.Orientation.Horizontal)
    win.review.sort_action.trigger()  # lowest mean confidence first
    win.viewer.show(win.folder.paths()[0])
    for key in (Qt.Key.Key_A, Qt.Key.Key_A, Qt.Key.Key_N, Qt.Key.Key_U, Qt.Key.Key_A):
        QTest.keyClick(win, key)
        settle(150)
    settle(1500)  # thumbnails
    win.grab().save(str(out / "review-folder.png"))

    win.review._run_model_instead()  # the model's own prediction, with its confidence
    win.review.threshold_dock.show()
    win.resizeDocks([win.review.threshold_dock], [300], Qt.Orientation.Vertical)
    count = len(shown)
    win.viewer.rerun()
    wait_for(lambda: len(shown) > count and shown[-1].result.device != "labels from disk")
    dock = win.review.threshold_dock
    dock.enabled.setChecked(True)
    dock.value.setValue(95)
    dock.apply_now()
    height, width = shown[-1].result.labels.shape
    win.view.main_pane.view.setRange(xRange=(0.3 * width, 0.8 * width), yRange=(0.45 * height, 1.0 * height),
                                     padding=0)  # the boats, where the model hesitates
    settle(600)
    win.grab().save(str(out / "review-threshold.png"))
    win.close()
    settle(100)
    print("saved review-folder.png and review-threshold.png in", out, "; scenes in", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
