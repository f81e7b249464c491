"""How long does the GUI thread stall while an ONNX graph is built? In the window's child
process (what the window does) against the worker thread of the window's own process.

A 10 ms QTimer on the GUI thread records the largest gap between its ticks (the approach
of bench_gui_stall.py, whose Heartbeat this reuses), in three phases:

  idle        nothing running
  child       the window set to ONNX Runtime opens a photo: PyTorch segments it and the
              graph for its input size is built by ``python -m app.engine.onnx_build``
              (GraphBuilds), until the build has finished
  in-process  the same graph exported in the worker thread (a fresh cache), as the window
              would if it built graphs itself

    python benchmarks/bench_onnx_build_stall.py [--size 1024x768] [--weights PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PSPNET_STUDIO_CACHE"] = tempfile.mkdtemp(prefix="bench-build-cache-")  # the child's too
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gui_stall import Heartbeat, model, spin  # noqa: E402 - sets up Qt and pyqtgraph first

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1024x768")
    parser.add_argument("--weights")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    import numpy as np
    from PIL import Image

    app = QApplication.instance() or QApplication([])  # noqa: F841
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="bench_ini_"))
    from app.gui.main_window import MainWindow
    from app.gui.settings import AppSettings

    settings = AppSettings()
    settings.set_backend("onnx")
    settings.set_device("cpu")
    loaded, source = model(args.weights)
    window = MainWindow(settings)
    window.show()
    window.worker.start()
    ready: list[object] = []
    window.viewer.modelChanged.connect(ready.append)
    window.worker.set_model(loaded)
    spin(lambda: bool(ready))
    folder = Path(tempfile.mkdtemp(prefix="bench_build_"))
    yy, xx = np.mgrid[0:height, 0:width]
    Image.fromarray(np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)).save(folder / "a.png")
    print(f"{os.cpu_count()} cores, model: {source}, photo {width}x{height}, fast protocol, 10 ms heartbeat")

    beat = Heartbeat(10)
    beat.start()
    spin(lambda: beat.clock.elapsed() > 2000)
    print("idle       ", beat.stop())

    builds: list[bool] = []
    window.graph_builds.finished.connect(builds.append)
    wanted: list[object] = []
    window.worker.graphsWanted.connect(lambda request: wanted.append(request))
    beat.start()
    started = time.perf_counter()
    window.viewer.open_path(folder / "a.png")
    spin(lambda: bool(builds))
    print(f"child       built={builds[0]} in {time.perf_counter() - started:.1f} s", beat.stop())
    shape = wanted[0].shapes[0]  # type: ignore[attr-defined]

    def export_here(segmenter):  # noqa: ANN001, ANN202
        from app.engine.onnx_backend import GraphCache

        began = time.perf_counter()
        GraphCache(Path(tempfile.mkdtemp(prefix="bench-inproc-"))).graph(segmenter.model, shape)
        return time.perf_counter() - began

    took: list[float] = []
    window.worker.jobFinished.connect(lambda _job, value: took.append(value))
    beat.start()
    window.worker.submit_job(export_here)
    spin(lambda: bool(took))
    print(f"in-process  {shape} built in {took[0]:.1f} s", beat.stop())
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
