"""Screenshot of File > Export Dataset... after an export (run by hand, offscreen).

    python docs/make_export_screenshots.py [--out docs/screenshots]

Labels the sample scenes with the shipped model (`main.py segment`) into a temporary
folder, marks three of them accepted and one needs work (as Review > Accept / Needs Work
would), opens the dialog on that run folder, exports the accepted ones as COCO and grabs
the dialog.
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

from docs.qt_wait import application, settle, wait_for  # noqa: E402 - PySide6 first, in there
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402

from app.gui.export_dataset import ExportDatasetDialog  # noqa: E402
from app.interchange.selection import Selection  # noqa: E402
from app.labels.review import ReviewState, ReviewStore  # noqa: E402


def main() -> int:
    args = parse_screenshot_args(screenshot_parser(__doc__, weights=False))
    application()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "samples_labels"
        subprocess.run([sys.executable, str(ROOT / "main.py"), "segment", str(ROOT / "resources" / "samples" / "images"),
                        "--out", str(run), "--device", "cpu"], check=True)
        store = ReviewStore(run)
        photos = sorted((ROOT / "resources" / "samples" / "images").glob("*.jpg"))
        for k, photo in enumerate(photos):
            store.set_state(photo.name, ReviewState.NEEDS_WORK if k == len(photos) - 1 else ReviewState.ACCEPTED)
        dialog = ExportDatasetDialog(run)
        dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("coco"))
        dialog.only_combo.setCurrentIndex(dialog.only_combo.findData(Selection.ACCEPTED))
        dialog.resize(720, 360)
        dialog.show()
        dialog.start()
        wait_for(lambda: not dialog.is_running() and dialog.export_button.isEnabled(), timeout_s=120)
        settle(200)
        target = Path(args.out) / "export_dataset.png"
        dialog.grab().save(str(target))
        print(f"wrote {target}: {dialog.status.text()}")
        dialog.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
