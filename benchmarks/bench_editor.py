"""How fast does the label editor redraw, and how long does it stall the event loop? (issue 14)

Targets: a brush stroke on a 4000x3000 map redraws in under 16 ms per step; editing an
8000x6000 map never stalls the event loop more than 50 ms.

Runs the real window's editor (app.gui.editor) on a synthetic photo and label map,
without a model: the map is shown as labels read from disk would be.

  redraw   per stroke step (one mouse move: paint the segment, redraw the changed box of
           the fill and contour layers, repaint the viewport), against the baseline of
           redrawing the whole map per step (what an editor without box updates does)
  stall    a 2 ms heartbeat timer's largest gap while strokes arrive at 125 Hz, and while
           a flood fill, a polygon, a whole-image replace, undo and redo are computed (off
           the GUI thread, app.gui.editor.edit_queue) and applied; "GUI CPU" is the GUI
           thread's own CPU time within one gap (on a shared machine the gap also holds
           other processes' turns); "done" is the time from the request until the change
           is on the map and the editor is idle again

    python benchmarks/bench_editor.py [--redraw-size 4000x3000] [--stall-size 8000x6000] [--steps 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QEvent, QEventLoop, QObject, QSettings, QTimer  # noqa: E402 - PySide6 first
from PySide6.QtWidgets import QApplication  # noqa: E402

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402

from app.gui.pyside_fixes import protect_singletons_from_refcount_leak  # noqa: E402

protect_singletons_from_refcount_leak()
pg.setConfigOptions(imageAxisOrder="row-major")


def synthetic(height: int, width: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A photo-sized RGB image and a label map of large regions (bands, discs) like a scene's."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) / max(height, width)
    labels = np.zeros((height, width), np.uint8)
    labels[yy > 0.25] = 1
    labels[yy > 0.45] = 2
    for _ in range(40):
        cy, cx, r = rng.random(), rng.random() * width / max(height, width), 0.02 + 0.06 * rng.random()
        labels[(yy - cy * height / max(height, width)) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(3, classes)
    image = np.stack([(xx * 255), (yy * 255), ((xx + yy) * 127)], -1).astype(np.uint8)
    return image, labels


OVERLAY = "both"  # the overlay mode of the window (--overlay): "both" draws the contours too


def make_window(image: np.ndarray, labels: np.ndarray, classes: int):  # noqa: ANN201
    from app.checkpoints.meta import ProtocolSettings
    from app.classes import generic_classes
    from app.engine.histogram import class_counts
    from app.engine.result import SegmentationResult
    from app.gui.main_window import MainWindow
    from app.viewing.cache import CachedView

    win = MainWindow()
    win.resize(1400, 900)
    win.show()
    info = generic_classes(classes)
    confidence = np.full(labels.shape, np.nan, np.float32)
    result = SegmentationResult(labels, confidence, class_counts(labels, classes), ProtocolSettings(), "bench", 0.0)
    win.viewer._display(CachedView(image, result, info), Path(tempfile.mkdtemp()) / "photo.png")  # noqa: SLF001
    win.set_overlay_mode(OVERLAY)
    win.editor.set_edit_mode(True)
    win.editor.toolbar.size.setValue(25)
    win.editor.toolbar.paint_class.set_value(classes - 1)
    settle()
    return win


def flush() -> None:
    """Let the view paint what the last step invalidated (scene updates are queued twice)."""
    app = QApplication.instance()
    for _ in range(2):
        app.sendPostedEvents()
        app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def settle(ms: int = 200) -> None:
    deadline = time.perf_counter() + ms / 1000
    while time.perf_counter() < deadline:
        QApplication.instance().processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)


def stroke_points(height: int, width: int, steps: int) -> list[tuple[float, float]]:
    """A wavy drag across the map, about 20 map pixels per mouse move."""
    xs = np.linspace(0.1 * width, 0.9 * width, steps)
    ys = height / 2 + 0.2 * height * np.sin(np.linspace(0, 6.28, steps))
    return list(zip(xs.tolist(), ys.tolist()))


class PaintCounter(QObject):
    """Counts the viewport's paint events, to show that every measured step did paint."""

    def __init__(self, widget) -> None:  # noqa: ANN001
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, _watched, event) -> bool:  # noqa: ANN001, N802
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def redraw(size: tuple[int, int], steps: int) -> dict[str, float]:
    height, width = size
    image, labels = synthetic(height, width, 8)
    win = make_window(image, labels, 8)
    editor = win.editor
    paints = PaintCounter(win.view.graphics.viewport())
    points = stroke_points(height, width, steps)
    times = []
    editor.begin_stroke(*points[0])
    for point in points[1:]:
        start = time.perf_counter()
        editor.stroke_to(*point)
        flush()  # the view paints the box that changed
        times.append((time.perf_counter() - start) * 1000)
    painted = paints.count
    start = time.perf_counter()
    editor.end_stroke()
    flush()
    end_ms = (time.perf_counter() - start) * 1000
    # baseline: the whole map redrawn per step (fill and contours rebuilt), a tenth of the steps
    view, lut = win.view, win.viewer._lut()  # noqa: SLF001
    doc = editor.session.doc
    full = []
    editor.begin_stroke(*points[0])
    for point in points[1: max(3, steps // 10)]:
        start = time.perf_counter()
        doc.stroke_to(point, point, 25, 1)
        view.set_result(doc.labels, None, lut)
        view.main_pane.apply_style("both", 0.55, False)
        flush()
        full.append((time.perf_counter() - start) * 1000)
    editor.end_stroke()
    editor.discard()
    editor.shutdown()
    win.hide()
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))], "max": times[-1],
            "stroke_end": end_ms, "full_median": statistics.median(full), "paints": painted}


def run_queue_ms() -> float:
    """Time this thread has spent runnable but not running, waiting for a CPU (the second
    field of Linux's schedstat); 0 elsewhere. On a shared machine it tells a stall of the
    editor from other processes' turns."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


class Heartbeat:
    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(2)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.gaps: list[float] = []
        self.cpu_gaps: list[float] = []  # the GUI thread's own CPU time within each gap
        self.queue_gaps: list[float] = []  # ... and its time waiting for a CPU (Linux only)
        self._last = self._last_cpu = self._last_queued = 0.0

    def _tick(self) -> None:
        now, cpu, queued = self.clock.nsecsElapsed() / 1e6, time.thread_time() * 1000, run_queue_ms()
        self.gaps.append(now - self._last)
        self.cpu_gaps.append(cpu - self._last_cpu)
        self.queue_gaps.append(queued - self._last_queued)
        self._last, self._last_cpu, self._last_queued = now, cpu, queued

    def worst_gap_queued(self) -> float:
        """How much of the largest gap the GUI thread spent runnable but waiting for a CPU."""
        gaps = self.gaps[1:]
        return self.queue_gaps[1:][gaps.index(max(gaps))] if gaps else 0.0

    def run(self, actions: list, interval_ms: int, busy=lambda: False) -> float:  # noqa: ANN001 - callables
        """Run ``actions`` one per ``interval_ms`` from the event loop until they are done and
        ``busy()`` is False; the largest gap in ms (``self.done_ms``: first action to idle)."""
        self.gaps, self.cpu_gaps, self.queue_gaps = [], [], []
        self.clock.start()
        self._last, self._last_cpu, self._last_queued = 0.0, time.thread_time() * 1000, run_queue_ms()
        self.timer.start()
        queue = list(actions)
        self.slowest = 0.0

        def step() -> None:
            if queue:
                start = time.perf_counter()
                queue.pop(0)()
                self.slowest = max(self.slowest, (time.perf_counter() - start) * 1000)
        driver = QTimer()
        driver.setInterval(interval_ms)
        driver.timeout.connect(step)
        # The event loop waits in Qt between events, as the app's does: a Python loop around
        # processEvents would take the GIL from the edit thread thousands of times a second.
        loop = QEventLoop()
        watch = QTimer()
        watch.setInterval(5)
        watch.timeout.connect(lambda: None if queue or busy() else loop.quit())
        driver.start()
        watch.start()
        began = time.perf_counter()
        loop.exec()
        self.done_ms = (time.perf_counter() - began) * 1000
        watch.stop()
        settle(100)
        driver.stop()
        self.timer.stop()
        return max(self.gaps[1:] or [0.0])


def stall(size: tuple[int, int], steps: int) -> dict[str, tuple[float, float, float, float]]:
    """Per phase: the largest heartbeat gap and how much of it the GUI thread waited for a
    CPU (other processes' turns), the most CPU time the GUI thread itself spent
    within one gap (what a quiet machine would see, without other processes' share), and the
    time until the editor was idle."""
    height, width = size
    image, labels = synthetic(height, width, 8, seed=1)
    win = make_window(image, labels, 8)
    editor = win.editor
    beat = Heartbeat()
    points = stroke_points(height, width, steps)
    def phase(name: str, actions: list) -> None:  # noqa: ANN001
        gap = beat.run(actions, 8, getattr(editor, "busy", lambda: False))  # (an editor without a queue)
        out[name] = (gap, beat.worst_gap_queued(), max(beat.cpu_gaps[1:] or [0.0]), beat.done_ms)

    out: dict[str, tuple[float, float, float, float]] = {}
    phase("idle", [lambda: None] * 50)
    phase("stroke", [lambda p=points[0]: editor.begin_stroke(*p)] +
          [lambda p=p: editor.stroke_to(*p) for p in points[1:]])
    phase("stroke end", [editor.end_stroke])
    editor.toolbar.paint_class.set_value(5)
    phase("fill (sky, 25% of the map)", [lambda: editor.fill_at(5.5, 5.5)])
    editor.toolbar.set_tool("polygon")
    corners = [(0.1 * width, 0.1 * height), (0.9 * width, 0.2 * height), (0.6 * width, 0.9 * height)]
    phase("polygon (a third of the map)", [lambda: editor.region_done(corners, rectangle=False)])
    editor.toolbar.replace_from.set_value(2)
    editor.toolbar.paint_class.set_value(6)
    phase("replace in the whole map", [editor.replace_everywhere])
    phase("undo (the replace)", [editor.undo_edit])
    phase("redo", [editor.redo_edit])
    editor.toolbar.set_tool("brush")
    phase("fill, then a stroke at once", [lambda: editor.fill_at(5.5, 5.5)] +
          [lambda p=points[0]: editor.begin_stroke(*p)] + [lambda p=p: editor.stroke_to(*p) for p in points[1:50]]
          + [editor.end_stroke])
    editor.recovery.flush(60)
    editor.discard()
    editor.shutdown()
    win.hide()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redraw-size", default="4000x3000")
    parser.add_argument("--stall-size", default="8000x6000")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--overlay", choices=("both", "fill"), default="both",
                        help="fill only, or fill and contours (recomputed on the GUI thread a band at a time)")
    parser.add_argument("--skip-redraw", action="store_true", help="only the event-loop gaps on the big map")
    args = parser.parse_args()
    global OVERLAY
    OVERLAY = args.overlay
    settings_dir = tempfile.mkdtemp()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)  # no user settings
    app = QApplication.instance() or QApplication([])  # noqa: F841 - keeps Qt alive
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, offscreen Qt, overlay {OVERLAY}, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    if not args.skip_redraw:
        report_redraw(args)
    w, h = (int(v) for v in args.stall_size.split("x"))
    s = stall((h, w), args.steps)
    print(f"\nlargest event-loop gap on {w}x{h} (2 ms heartbeat) and the part of it the GUI thread "
          "waited for a CPU, the GUI thread's most CPU time within one gap, and the time until the "
          "edit was applied and the editor idle:")
    for phase, (gap, queued, cpu, done) in s.items():
        print(f"  {phase:30s} gap {gap:7.1f} ms (waiting for a CPU {queued:6.1f})   GUI CPU {cpu:6.1f} ms   "
              f"done {done:7.1f} ms")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def report_redraw(args: argparse.Namespace) -> None:
    w, h = (int(v) for v in args.redraw_size.split("x"))
    r = redraw((h, w), args.steps)
    print(f"\nredraw per stroke step on {w}x{h} (brush 25 px, {args.steps} steps, window 1400x900):")
    print(f"  changed box only: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms "
          f"({r['paints']} viewport paints in {args.steps - 1} steps)")
    print(f"  whole map per step (baseline): median {r['full_median']:.1f} ms "
          f"({r['full_median'] / r['median']:.0f}x slower)")
    print(f"  stroke end (undo step, legend, recovery copy): {r['stroke_end']:.1f} ms")


if __name__ == "__main__":
    main()
