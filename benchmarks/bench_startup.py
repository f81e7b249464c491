"""Start-up benchmark: time from process start to the main window's first paint.

    python benchmarks/bench_startup.py [--runs 5] [--platform offscreen|xcb] [--weights PATH]

Each run starts ``python main.py`` (the shipped model, the first sample scene) in a new
process, with its own empty settings folder, and stops it at the main window's first
paint event; the time is from just before the process is spawned to that event, so
it includes the interpreter's start-up and every import. The CPU time the process used
until then is printed too: on a busy machine the wall time grows with the load, the CPU
time much less, and on an idle one the two are close. A run that imported torch before
the first paint is marked (the worker starts after it).
With ``--platform xcb`` run it under ``xvfb-run`` (ideally with a window manager).
Prints each run, then the median and the spread.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in the child before main.py's launch: an application-wide event filter notes the
# first paint of a QMainWindow, then the process leaves at once (nothing else is timed).
CHILD = r"""
import os, sys, threading, time
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow
from app.gui.pyside_fixes import protect_singletons_from_refcount_leak

protect_singletons_from_refcount_leak()
app = QApplication([sys.argv[0]])

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and isinstance(watched, QMainWindow):
            painted = time.time()
            torch_loaded = "torch" in sys.modules
            cpu = time.process_time()  # all threads of the process, since it started
            print(f"FIRST_PAINT {painted:.6f} TORCH_BEFORE_PAINT {torch_loaded} CPU {cpu:.6f}", flush=True)
            os._exit(0)
        return False

probe = FirstPaint()
app.installEventFilter(probe)
from app.gui.launch import launch
sys.exit(launch(sys.argv[1:]))
"""


def one_run(argv: list[str], platform_name: str) -> tuple[float, float, bool]:
    """(wall seconds from spawn to first paint, CPU seconds the child used until then,
    whether torch was imported before it)."""
    with tempfile.TemporaryDirectory(prefix="startup-settings-") as settings:
        env = dict(os.environ, QT_QPA_PLATFORM=platform_name, XDG_CONFIG_HOME=settings)
        started = time.time()
        run = subprocess.run([sys.executable, "-c", CHILD, *argv], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    line = next((text for text in run.stdout.splitlines() if text.startswith("FIRST_PAINT")), None)
    if line is None:
        raise RuntimeError(f"no first paint (exit {run.returncode}):\n{run.stdout}\n{run.stderr[-2000:]}")
    fields = line.split()
    return float(fields[1]) - started, float(fields[5]), fields[3] == "True"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="start-ups to time (default 5)")
    parser.add_argument("--platform", default=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                        help="Qt platform plugin: offscreen (default) or xcb under a display")
    parser.add_argument("--weights", default=None, help="checkpoint to start with (default: the shipped model)")
    args = parser.parse_args()
    argv = ["--weights", args.weights] if args.weights else []
    one_run(argv, args.platform)  # warm the file cache: the runs below measure start-up, not the disk
    times, cpu_times = [], []
    for index in range(args.runs):
        seconds, cpu, torch_first = one_run(argv, args.platform)
        times.append(seconds)
        cpu_times.append(cpu)
        print(f"run {index + 1}: first paint after {seconds:.3f} s, {cpu:.3f} s of CPU"
              f"{' (torch was imported before it)' if torch_first else ''}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s "
          f"over {len(times)} runs (CPU used until then: median {statistics.median(cpu_times):.3f} s); "
          f"platform {args.platform}; {os.cpu_count()} CPUs, load {load:.1f}; "
          f"Python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
