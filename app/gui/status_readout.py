"""Status bar widgets: pixel read-out, device, backend, last inference time, activity."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

BACKEND_NAMES = {"torch": "PyTorch", "onnx": "ONNX Runtime", "auto": "Automatic"}
RAN = {"torch": "PyTorch", "onnx": "ONNX Runtime", "onnx+torch": "ONNX Runtime + PyTorch"}


def backend_text(chosen: str, used: str | None = None, graph_ready: bool = False) -> str:
    """The read-out's backend: the choice, then what ran the last image (``used``); ``graph_ready``:
    the graph that image lacked has been built since."""
    if used is None or chosen == "torch":
        return f"backend: {BACKEND_NAMES.get(chosen, chosen)}"
    ran = RAN.get(used, used)
    if chosen == "auto":
        return f"backend: auto, {ran}"
    if used != "torch":
        return f"backend: {ran}"
    return f"backend: {ran}" + (" (ONNX graph ready)" if graph_ready else " (no ONNX graph yet)")


class StatusReadout:
    """Permanent widgets on the right of the status bar, updated by the viewer."""

    def __init__(self, bar: QStatusBar) -> None:
        self.cursor = QLabel()
        # Wide enough for a typical read-out, so it does not jitter as the pointer moves; not
        # wider: the status bar's passing messages need the room (app/gui/message_room.py).
        self.cursor.setMinimumWidth(self.cursor.fontMetrics().horizontalAdvance("x 8888  y 8888   vegetation  88.8 %"))
        self.zoom = QLabel()
        self.device = QLabel("device: -")
        self.backend = QLabel()
        self._backend_shown: tuple[str, str | None] = ("torch", None)  # (chosen, what ran the last image)
        self.timing = QLabel()
        self.busy = QProgressBar()
        self.busy.setMaximumWidth(120)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.setRange(0, 0)  # indeterminate until the engine reports windows
        self.busy.hide()
        for widget in (self.cursor, self.zoom, self.busy, self.timing, self.device, self.backend):
            bar.addPermanentWidget(widget)

    def set_cursor(self, x: int, y: int, name: str | None, confidence: float | None) -> None:
        if x < 0:
            self.cursor.setText("")
            return
        text = f"x {x}  y {y}"
        if name is not None:
            text += f"   {name}"
            if confidence is not None:
                text += f"  {100.0 * confidence:.1f} %"
        self.cursor.setText(text)

    def set_zoom(self, scale: float) -> None:
        self.zoom.setText(f"{100.0 * scale:.0f} %" if scale > 0 else "")

    def set_device(self, device: str, precision: str = "") -> None:
        self.device.setText(f"device: {device}" + (f" ({precision})" if precision else ""))

    def set_backend(self, chosen: str, used: str | None = None, note: str = "") -> None:
        self._backend_shown = (chosen, used)
        self.backend.setText(backend_text(chosen, used))
        self.backend.setToolTip(note or "What runs the network's forwards (Model > Backend); the inspector's "
                                "captures always run on PyTorch.")

    def graph_built(self) -> None:
        """A graph the last image lacked is built: say the next image of its size uses it."""
        chosen, used = self._backend_shown
        if chosen == "onnx" and used == "torch":
            self.backend.setText(backend_text(chosen, used, graph_ready=True))
            self.backend.setToolTip("This image ran on PyTorch while its ONNX graph was built; the next image "
                                    "of this size runs on ONNX Runtime.")

    def set_timing(self, seconds: float | None, protocol: str = "") -> None:
        if seconds is None:
            self.timing.setText("")
        else:
            self.timing.setText(f"{protocol} {seconds * 1000:.0f} ms" if seconds < 10 else
                                f"{protocol} {seconds:.1f} s")

    def set_busy(self, busy: bool, done: int = 0, total: int = 0) -> None:
        self.busy.setVisible(busy)
        if busy and total > 1:
            self.busy.setRange(0, total)
            self.busy.setValue(done)
        elif busy:
            self.busy.setRange(0, 0)
