"""Building the ONNX graphs the worker asks for, in a child process, with progress and cancel.

The window never exports a graph itself: the dynamo exporter holds the GIL for up to half
a second at a time (a 557 ms gap of a 10 ms GUI-thread timer while the shipped model's
graph was built in the worker thread; benchmarks/bench_onnx_build_stall.py), so the window would freeze
for the tens of seconds (shipped model) to minutes (PSPNet-50) an export takes. The
child (``python -m app.engine.onnx_build``) writes into the same cache, each file to a
temporary renamed into place, where the worker's backend looks before each forward: the
next image of that size runs on ONNX Runtime. The image on screen is not run again (that
would clear the viewer's results and could replace labels being edited; PyTorch's labels
agree with ONNX Runtime's on >= 99.99 % of pixels).

The status bar shows the build (which graph, seconds so far) with a Cancel button;
choosing PyTorch, or closing the window, stops it too.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QProcess, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.engine.onnx_build import shape_text
from app.gui.worker_types import GraphRequest
from app.paths import ROOT

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

STOP_WAIT_MS = 3000  # after asking the child to stop (it removes its temporary file), it is killed
ERROR_LINES = 6  # the last lines of the child's stderr a failure shows


class GraphBuilds(QObject):
    """One child process at a time; shapes asked for meanwhile wait for the next one."""

    finished = Signal(bool)  # True: the graphs were built (False: failed or cancelled)

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.w = window
        self.process: QProcess | None = None
        self.waiting: list[tuple[int, ...]] = []
        self.weights = ""
        self.step = ""  # what the child said it is doing: "1/2", "starting", "stopping"
        self.shape = ""  # the input shape of the graph being built, as the child wrote it
        self._started = 0.0
        self._stderr = b""
        self._stdout = b""
        self._cancelled = False
        self.widget = QWidget()
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop building the ONNX graph (PyTorch keeps running the model)")
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.label)
        layout.addWidget(self.cancel_button)
        self.widget.hide()
        window.statusBar().addPermanentWidget(self.widget)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show)
        window.worker.graphsWanted.connect(self.want)

    def running(self) -> bool:
        return self.process is not None

    def want(self, request: GraphRequest) -> None:
        """The worker lacks these graphs (the ONNX Runtime choice): build them."""
        if request.error:
            self.w.messages.show_message(request.error, "warning")
            return
        shapes = [s for s in request.shapes if s not in self.waiting]
        if self.process is not None and str(request.weights) != self.weights:
            self.waiting = []  # another model now: what the old one waited for is not needed
        self.waiting += shapes
        self.weights = str(request.weights)
        if self.process is None and self.waiting:
            self._start()

    def cancel(self) -> None:
        """Stop the build; the shapes run on PyTorch (asked for again once ONNX Runtime is chosen again)."""
        self.waiting = []
        process = self.process
        if process is None:
            return
        self._cancelled = True
        self.step = "stopping"
        self._show()
        process.terminate()  # the child removes its temporary file and exits
        QTimer.singleShot(STOP_WAIT_MS, process, process.kill)  # one that does not (Windows: no SIGTERM)

    def shutdown(self) -> None:
        """The window is closing: stop the child and wait for it (briefly)."""
        process = self.process
        self.cancel()
        if process is not None and not process.waitForFinished(STOP_WAIT_MS):
            process.kill()
            process.waitForFinished(STOP_WAIT_MS)

    # --- the child -------------------------------------------------------------------------
    def _start(self) -> None:
        shapes, self.waiting = self.waiting, []
        process = QProcess(self)
        process.setWorkingDirectory(str(ROOT))  # where the app package is importable from
        process.setProgram(sys.executable)
        process.setArguments(["-m", "app.engine.onnx_build", self.weights, *(shape_text(s) for s in shapes)])
        process.readyReadStandardOutput.connect(self._read)
        process.readyReadStandardError.connect(self._read_errors)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._error)
        self.process, self._cancelled, self._stderr, self._stdout = process, False, b"", b""
        self.step, self.shape = "starting", ""
        self._started = time.monotonic()
        self._show()
        self.widget.show()
        self._tick.start()
        process.start()

    def _read(self) -> None:
        if self.process is None:
            return
        self._stdout += bytes(self.process.readAllStandardOutput().data())
        *lines, self._stdout = self._stdout.split(b"\n")
        for line in lines:
            words = line.decode(errors="replace").split()
            if len(words) >= 4 and words[0] in ("building", "built"):
                self.step = f"{words[1]}/{words[2]}"
                self.shape = words[3]
        self._show()

    def _read_errors(self) -> None:
        if self.process is not None:
            self._stderr = (self._stderr + bytes(self.process.readAllStandardError().data()))[-8192:]

    def _show(self) -> None:
        seconds = time.monotonic() - self._started
        self.label.setText(f"ONNX graph {self.step}: {seconds:.0f} s")
        shape = f" for inputs of {self.shape}" if self.shape else ""
        self.label.setToolTip(f"Building the ONNX Runtime graph{shape} in a separate process (the window stays "
                              "responsive); PyTorch runs the model until it is built. It is built once per "
                              "model and input size, then kept in the cache folder.")

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:  # no finished signal follows
            self._done(False, f"could not start {sys.executable}")

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_errors()
        ok = code == 0 and status == QProcess.ExitStatus.NormalExit and not self._cancelled
        tail = b"\n".join(self._stderr.strip().splitlines()[-ERROR_LINES:]).decode(errors="replace")
        self._done(ok, tail)

    def _done(self, ok: bool, detail: str) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.deleteLater()
        self._tick.stop()
        self.widget.hide()
        seconds = time.monotonic() - self._started
        if ok:
            self.w.readout.graph_built()
            self.w.statusBar().showMessage(f"ONNX graph built in {seconds:.0f} s: ONNX Runtime runs the next "
                                           "images of this size", 8000)
        elif self._cancelled:
            self.w.statusBar().showMessage("ONNX graph build cancelled: PyTorch runs the model", 8000)
        else:
            self.w.messages.show_message(f"Could not build the ONNX graph; PyTorch runs the model.\n\n{detail}",
                                         "warning")
        self.finished.emit(ok)
        if self.waiting and not self._cancelled:
            self._start()
