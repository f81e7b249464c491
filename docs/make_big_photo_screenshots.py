"""Screenshots of a big photo in the viewer: the quick preview, then the exact labels.

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_big_photo_screenshots.py [--size 6000x8000]

A shipped sample scaled up to ``--size`` (H x W) is opened with the default model. The
window is grabbed when the preview is drawn (labels at a 1024-pixel long side stretched
over the photo, ``viewer-big-photo-preview.png``); the seconds from the model being ready
to the preview and to the exact full-size labels are printed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.qt_wait import start_window, wait_for  # noqa: E402 - PySide6 first, in there
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402


def main() -> int:
    from app.paths import DEFAULT_WEIGHTS
    from benchmarks.bench_big_photo import big_photo

    parser = screenshot_parser(__doc__, weights=False)
    parser.add_argument("--size", default="6000x8000", help="HxW of the photo")
    args = parse_screenshot_args(parser)
    out = args.out
    height, width = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        photo = big_photo(Path(tmp), height, width)
        win, _shown = start_window(DEFAULT_WEIGHTS, None, settle_ms=0)
        times: dict[str, float] = {}

        def arrived(kind: str) -> None:
            times[kind] = time.perf_counter() - started
            if kind == "preview":  # no event processing here: the exact result could land inside it
                win.grab().save(str(out / "viewer-big-photo-preview.png"))

        win.viewer.previewShown.connect(lambda _result: arrived("preview"))
        win.viewer.resultShown.connect(lambda _item: arrived("exact"))
        started = time.perf_counter()  # the model is ready
        win.viewer.open_path(photo)
        wait_for(lambda: "exact" in times, timeout_s=900)
        print(", ".join(f"{kind} after {seconds:.1f} s" for kind, seconds in times.items()))
        win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
