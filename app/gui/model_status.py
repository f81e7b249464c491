"""The model chip in the status bar: which model is loaded, what it was trained on, its classes.

Always visible (a permanent status-bar widget, so passing messages never cover it);
the tooltip lists the classes, a click opens the model card. A model that does not
know a benchmark of real photos (the shipped one knows 12 classes of generated
scenes) is drawn as a caution, and once per model the first image shown says so in
the message bar, with a button to the published models.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from app.checkpoints.provenance import Provenance, provenance

from app.gui.message_room import MessageRoom

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.gui.worker_types import ModelInfo

NAME_CHARS = 42  # the model's name is cut beyond this; the tooltip has it whole
CHIP_MAX_PX = 520  # wider, the chip drops what it was trained on (the tooltip keeps it): the status
#                    bar's passing messages ("Loaded ... on cpu") share its width and were cut off
CAUTION_STYLE = "QToolButton { color: #7a4f01; background: #fef7e0; border: 1px solid #fdd663; border-radius: 3px; }"
PLAIN_STYLE = "QToolButton { border: none; }"


def chip_text(p: Provenance | None, compact: bool = False) -> str:
    """"Model: NAME - trained on DATA, N classes"; ``compact``: "Model: NAME - N classes"."""
    if p is None:
        return "No model loaded"
    name = p.model if len(p.model) <= NAME_CHARS else p.model[:NAME_CHARS - 1] + "…"
    what = f"{len(p.class_names)} classes" if compact else p.summary
    return ("⚠ " if not p.real_photos else "") + f"Model: {name} - {what}"


def chip_tooltip(p: Provenance | None) -> str:
    if p is None:
        return "No model is loaded: File > Open Weights, or Help > Get Published Models..."
    parts = [f"<b>{html.escape(p.model)}</b>", f"{html.escape(p.summary[:1].upper() + p.summary[1:])}.",
             f"<b>Classes:</b> {html.escape(p.class_list())}"]
    if p.caution:
        parts.append(f"<i>{html.escape(p.caution)}</i> (Help > Get Published Models...)")
    parts.append("Click for the model card.")
    return "<p>" + "</p><p>".join(parts) + "</p>"


class ModelStatus:
    """Wires the chip to the viewer's model; the window keeps it as ``model_status``."""

    def __init__(self, window: "MainWindow") -> None:
        self.w = window
        self.provenance: Provenance | None = None
        self._cautioned = False  # the caution was shown for the current model
        self.chip = QToolButton()
        self.chip.setObjectName("modelChip")
        self.chip.setAutoRaise(True)
        self.chip.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep the arrow keys for the images
        self.chip.clicked.connect(window.show_model_card)
        window.statusBar().insertPermanentWidget(0, self.chip)
        self.message_room = MessageRoom(window.statusBar(), self.chip)  # passing messages stay readable
        window.viewer.modelChanged.connect(self._on_model)
        window.viewer.resultShown.connect(self._on_result)
        self._show()

    def _on_model(self, info: "ModelInfo") -> None:
        self.provenance = provenance(info.meta)
        self._cautioned = False
        self._show()

    def _show(self) -> None:
        p = self.provenance
        text = chip_text(p)
        if self.chip.fontMetrics().horizontalAdvance(text) > CHIP_MAX_PX:
            text = chip_text(p, compact=True)
        self.chip.setText(text)
        self.chip.setToolTip(chip_tooltip(p))
        self.chip.setStyleSheet(CAUTION_STYLE if p is not None and not p.real_photos else PLAIN_STYLE)

    def _on_result(self, item: object) -> None:
        p = self.provenance
        if p is None or p.real_photos or self._cautioned or self.w.viewer.shown is None:
            return
        if getattr(self.w.viewer.shown, "classes", None) is not None:
            return  # labels read from disk, not this model's answer
        self._cautioned = True
        if self.w.messages.level == "error" and self.w.messages.isVisible():
            return  # an error on screen matters more; the chip still says it
        self.w.messages.show_message(
            p.short_caution, "info",
            "Get Published Models...", self._open_catalogue, timeout_ms=15000)

    def _open_catalogue(self) -> None:
        link = getattr(self.w, "published_models", None)
        if link is not None:
            link.open_dialog()
