"""Screenshots of the model chip and Get Published Models... for docs/ (run by hand).

    xvfb-run -s "-screen 0 1600x1000x24" python docs/make_model_screenshots.py [--image PATH]

Starts the window with the shipped model on a sample scene (or ``--image``), grabs
the window with the chip and the caution, then the catalogue dialog. No download.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.qt_wait import settle, start_window  # noqa: E402
from docs.shot_args import add_image_option, parse_screenshot_args, screenshot_parser  # noqa: E402


def main() -> int:
    from app.gui.launch import first_sample
    from app.paths import DEFAULT_WEIGHTS

    parser = screenshot_parser(__doc__, weights=False)
    add_image_option(parser)
    args = parse_screenshot_args(parser)
    out = args.out
    win, _shown = start_window(DEFAULT_WEIGHTS, args.image or first_sample(), size=(1400, 880))
    win.grab().save(str(out / "model-chip.png"))
    dialog = win.published_models.open_dialog()
    dialog.select("mmseg-pspnet_r50-d8_512x512_20k_voc12aug")
    settle(600)
    dialog.grab().save(str(out / "published-models.png"))
    dialog.close()
    win.close()
    settle(100)
    print("saved model-chip.png, published-models.png in", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
