"""Screenshot of Model > Compare With Model... for docs/ (run by hand; offscreen or under Xvfb).

    python docs/make_compare_screenshots.py [--weights PATH] [--other PATH] [--out docs/screenshots]

Model A is the shipped scene model; without ``--other`` model B is a copy of it whose
classifier weights are perturbed with seeded noise (this checkout ships one model only),
written to a temporary folder in the project's format and loaded like any checkpoint.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from docs.qt_wait import settle, start_window, wait_for  # noqa: E402
from docs.shot_args import add_image_option, parse_screenshot_args, screenshot_parser  # noqa: E402


def perturbed_copy(weights: str, folder: Path, scale: float = 2.0, seed: int = 0) -> Path:
    """The model of ``weights`` with noise of ``scale`` times each classifier weight's spread."""
    import torch

    from app.checkpoints import load_checkpoint, save_native

    loaded = load_checkpoint(weights)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in loaded.model.head.classifier.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * param.std() * scale)
    loaded.meta.name = f"{loaded.meta.display_name} (perturbed copy)"
    return save_native(folder / "scenes_perturbed.safetensors", loaded.model, loaded.meta)


def main() -> int:
    from app.gui.launch import first_sample

    parser = screenshot_parser(__doc__)
    parser.add_argument("--other", default=None, help="model B (default: a perturbed copy of --weights)")
    add_image_option(parser)
    args = parse_screenshot_args(parser)
    out = args.out
    with tempfile.TemporaryDirectory() as folder:
        other = Path(args.other) if args.other else perturbed_copy(args.weights, Path(folder))
        win, _shown = start_window(args.weights, args.image or first_sample())
        win.compare.start(other)
        wait_for(lambda: win.compare.shown is not None)
        win.actions_.opacity_slider.setValue(35)  # A's fill faint: the disagreement stands out
        settle(1500)
        win.grab().save(str(out / "compare.png"))
        win.compare.dock.show_differences.setChecked(False)  # B's labels where A's were
        win.compare.dock.show_b_labels.setChecked(True)
        win.actions_.opacity_slider.setValue(60)
        settle(1000)
        win.grab().save(str(out / "compare-b-labels.png"))
        win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
