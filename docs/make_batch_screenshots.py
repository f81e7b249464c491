"""Screenshots of "Label Folder" and of the window with the inspector docked (run by hand, offscreen).

    python docs/make_batch_screenshots.py [--weights PATH] [--out docs/screenshots]

Copies the sample scenes (plus one broken file) into a temporary folder, opens the
dialog, runs the batch through the window, and grabs: the dialog, the window mid-run
(folder statuses, batch dock, a finished image shown from its saved labels), the
summary, and the main window with the pyramid pooling inspector docked.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from docs import qt_wait  # noqa: E402 - PySide6 first, in there
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402


# this script's patience and pause (the shared helpers' are 300 s and 400 ms)
def wait_for(condition, timeout_s: float = 600) -> None:  # noqa: ANN001
    qt_wait.wait_for(condition, timeout_s)


def settle(ms: int = 500) -> None:
    qt_wait.settle(ms)


def sample_folder(root: Path, copies: int) -> Path:
    from app.gui.launch import first_sample

    samples = sorted(first_sample().parent.glob("*.jpg"))
    folder = root / "street_photos"
    folder.mkdir()
    for i in range(copies):
        for sample in samples:
            shutil.copy(sample, folder / f"{sample.stem}_{i}.jpg")
    (folder / "scan_0042.jpg").write_bytes(b"not really a JPEG")
    return folder


def main() -> int:
    from app.gui.batch import BatchDialog, BatchOptions

    parser = screenshot_parser(__doc__)
    parser.add_argument("--copies", type=int, default=3)
    args = parse_screenshot_args(parser)
    out = args.out
    work = Path(tempfile.mkdtemp(prefix="batch_shots_"))
    folder = sample_folder(work, args.copies)
    window, _shown = qt_wait.start_window(args.weights, None, size=(1500, 940), settle_ms=0)
    options = BatchOptions(folder, work / "street_photos_labels", protocol="fast", device=window.device)
    dialog = BatchDialog(options, ["auto", "cpu"], window)
    dialog.show()
    settle()
    dialog.grab().save(str(out / "batch_dialog.png"))
    dialog.close()

    window.batch.start(dialog.options())
    run = window.batch.run
    wait_for(lambda: run.meter.done >= 4)
    first = next(job.source for job, record in zip(run.jobs, run.records) if record and record.status == "ok")
    window.folder.tree.setCurrentItem(window.folder._items[str(first)])  # a finished image: saved labels
    wait_for(lambda: run.meter.done >= 6)
    settle()
    window.grab().save(str(out / "batch_progress.png"))
    wait_for(lambda: not run.is_running())
    settle()
    window.grab().save(str(out / "batch_finished.png"))  # the summary in the Batch dock
    details = window.batch.dock.show_details()  # its Details... button
    settle()
    details.grab().save(str(out / "batch_summary.png"))
    details.close()
    window.batch.dock.hide()

    window.inspector.action.trigger()
    window.viewer.show(sorted(folder.glob("*.jpg"))[1])
    wait_for(lambda: window.inspector.dock.acts is not None)
    dock = window.inspector.dock
    dock.maps_tab.send_box.setChecked(False)
    dock.tabs.setCurrentWidget(dock.contrib_tab)
    wait_for(lambda: dock.contrib_tab.maps is not None)
    h, w = window.viewer.shown.image.shape[:2]
    window.view.pixelClicked.emit(w // 2, h // 4)
    wait_for(lambda: dock.contrib_tab.attribution is not None)
    window.legend.set_highlight(-1)  # the click also highlighted its class in the legend
    # as a user would drag it: the split's bars as tall as the map above them (docked, the
    # tab gives the map most of its height)
    splitter = dock.contrib_tab.splitter
    splitter.setSizes([sum(splitter.sizes()) // 2] * 2)
    settle(800)
    window.grab().save(str(out / "main_inspector.png"))
    window.close()
    print(f"screenshots in {out}; batch files in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
