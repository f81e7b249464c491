"""Starting the desktop app: ``python main.py [IMAGE_OR_FOLDER] [--weights PATH] [--device NAME]``.

The window is painted first; only then are the inspector dock and two menu links
built (``MainWindow(defer_extras=True)``) and the worker started (torch and the model
load in its thread), so nothing competes with the first paint for the interpreter.
benchmarks/bench_startup.py times it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# --screenshot suffixes and the Qt writer of each (Qt picks nothing for other names)
SCREENSHOT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", add_help=False,
        description="PSPNet Studio: open an image or a folder and see its segmentation.")
    parser.add_argument("target", nargs="?", metavar="IMAGE_OR_FOLDER",
                        help="an image or a folder of images (default: the first sample scene)")
    parser.add_argument("--weights", metavar="PATH",
                        help="checkpoint to load (default: the last one used, else the shipped model)")
    parser.add_argument("--device", metavar="NAME", help="auto, cpu, cuda, cuda:N or mps (default: last used)")
    parser.add_argument("--protocol", choices=("fast", "official", "ms", "slide"),
                        help="test-time protocol (slide: mmseg checkpoints only)")
    parser.add_argument("--screenshot", metavar="PNG", help="save the window after the first result and quit")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --screenshot file")
    parser.add_argument("--gui-help", action="help", help="show this help and exit")
    return parser


def choose_weights(explicit: str | None, remembered: str) -> Path | None:
    """--weights, else the weights used last time (if still there), else the shipped model."""
    from app.paths import DEFAULT_WEIGHTS

    if explicit:
        return Path(explicit)
    if remembered and Path(remembered).is_file():
        return Path(remembered)
    return DEFAULT_WEIGHTS if DEFAULT_WEIGHTS.is_file() else None


def first_sample() -> Path | None:
    from app.gui.files import list_images
    from app.paths import SAMPLES_DIR

    for folder in (SAMPLES_DIR, SAMPLES_DIR / "images"):
        images = list_images(folder) if folder.is_dir() else []
        if images:
            return images[0]
    return None


def launch(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.target and not Path(args.target).exists():
        print(f"main.py: {args.target} does not exist", file=sys.stderr)
        return EXIT_USAGE
    if args.screenshot and (problem := screenshot_problem(Path(args.screenshot), args.overwrite)):
        print(f"main.py: {problem}", file=sys.stderr)  # before the work: never lose it at the end
        return EXIT_USAGE

    # PySide6 before pyqtgraph: pyqtgraph binds to the first Qt it finds imported.
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtWidgets import QApplication

    from app.gui.pyside_fixes import protect_singletons_from_refcount_leak

    protect_singletons_from_refcount_leak()  # PySide6 6.12.0 + Python 3.11 would abort otherwise
    pg = import_pyqtgraph()
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from app.gui.settings import APPLICATION, ORGANIZATION, AppSettings

    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    from app.gui.main_window import MainWindow

    settings = AppSettings()
    if args.protocol:
        settings.set_protocol(args.protocol)
    window = MainWindow(settings, device=args.device, defer_extras=True)
    window.show()
    weights = choose_weights(args.weights, settings.weights())
    target = args.target or first_sample()
    window.after_first_paint(lambda: window.start(weights, target))
    if args.screenshot:
        _screenshot_when_ready(window, Path(args.screenshot), args.overwrite)
    code = app.exec()
    if window.worker.thread_handle.isRunning():
        # A forward that ignored cancellation: leave without waiting (Qt would abort).
        sys.stdout.flush()
        os._exit(code)
    return code


class _WithoutCudaBindings:
    """An import hook that makes ``cuda.bindings`` look absent (while pyqtgraph imports)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "cuda" or name.startswith("cuda."):
            raise ImportError(f"{name} is not imported with pyqtgraph (start-up time)")


def import_pyqtgraph():  # noqa: ANN201 - the pyqtgraph module
    """pyqtgraph, imported without the CUDA Python bindings it tries on the way (for its
    OpenGL image widget, which the app does not use): with them installed, as torch's CUDA
    builds bring them, that import took 0.2-0.4 s of the start-up. torch imports them
    normally later, in the worker."""
    import sys

    blocker = _WithoutCudaBindings()
    sys.meta_path.insert(0, blocker)
    try:
        import pyqtgraph
    finally:
        sys.meta_path.remove(blocker)
    return pyqtgraph


def screenshot_problem(path: Path, overwrite: bool) -> str | None:
    """Why ``--screenshot path`` could not be written at the end, or None."""
    if path.suffix.lower() not in SCREENSHOT_FORMATS:
        return f"--screenshot {path}: name a .png, .jpg or .bmp file (the suffix chooses the format)"
    if path.is_dir():
        return f"--screenshot {path} is a folder; name the image file to write"
    if not path.parent.is_dir():
        return f"--screenshot {path}: the folder {path.parent} does not exist"
    if os.path.lexists(path) and not overwrite:
        return f"the screenshot {path} exists; it was kept. Use --overwrite to replace it, or name another file"
    return None


def save_screenshot(widget, path: Path, overwrite: bool) -> None:  # noqa: ANN001 - a QWidget
    """``widget`` as an image at ``path``, encoded in memory and then written whole or not at
    all (app.fileio); without ``overwrite`` a file that appeared there meanwhile is kept
    (FileExistsError). OSError when it cannot be written."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from app.fileio import atomic_write_bytes

    encoded = QByteArray()
    buffer = QBuffer(encoded)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    fmt = SCREENSHOT_FORMATS.get(path.suffix.lower(), "PNG")
    if not widget.grab().save(buffer, fmt):
        raise OSError(f"Qt could not encode the window as {fmt}")
    buffer.close()
    atomic_write_bytes(path, bytes(encoded.data()), overwrite=overwrite)


def _screenshot_when_ready(window, path: Path, overwrite: bool,  # noqa: ANN001
                           timeout_ms: int = 180_000) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    done: list[bool] = []

    def grab_and_quit() -> None:
        if done:
            return
        done.append(True)
        code = EXIT_OK
        try:
            save_screenshot(window, path, overwrite)
            print(f"screenshot saved to {path}")
        except OSError as exc:  # FileExistsError: a file that appeared while the app ran is kept
            print(f"main.py: the screenshot was not saved: {exc}", file=sys.stderr)
            code = EXIT_FAILED
        window.close()
        QApplication.exit(code)

    def soon() -> None:
        QTimer.singleShot(400, grab_and_quit)  # let the view repaint first

    window.viewer.resultShown.connect(lambda _item: soon())
    window.viewer.modelMissing.connect(lambda _text: QTimer.singleShot(1500, grab_and_quit))
    def on_message(level: str, _text: str) -> None:
        if level == "error":
            soon()

    window.viewer.message.connect(on_message)
    QTimer.singleShot(timeout_ms, grab_and_quit)
