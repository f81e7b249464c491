"""Small dialogs: model card, keyboard shortcuts, about."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QMessageBox, QTabWidget, QTextBrowser,
                               QVBoxLayout, QWidget)

from app.checkpoints.card_text import Section, card_sections

if TYPE_CHECKING:
    from app.gui.worker_types import ModelInfo

TRAINING_PAGE = ("Training", "Metrics")


def _swatch(rgb: tuple[int, int, int]) -> str:
    return (f'<span style="background-color:rgb{tuple(rgb)}; color:rgb{tuple(rgb)};">'
            "&nbsp;&nbsp;&nbsp;&nbsp;</span>")


def model_card_html(info: "ModelInfo") -> dict[str, str]:
    """The card as three HTML pages: overview, classes, protocols."""
    meta = info.meta
    arch = meta.architecture
    rows = [("Name", meta.display_name), ("Format", meta.format_title), ("Source", info.source or "in memory"),
            ("Architecture", arch.description), ("Classes", meta.classes.describe()),
            ("Parameters", f"{info.parameters / 1e6:.2f} M"), ("Device", f"{info.device} ({info.precision})"),
            ("Backend", {"torch": "PyTorch", "onnx": "ONNX Runtime", "auto": "Automatic"}.get(info.backend, info.backend)),
            ("Normalisation", f"mean {tuple(round(v, 2) for v in meta.normalization.mean)}, "
                              f"std {tuple(round(v, 2) for v in meta.normalization.std)} (RGB, 0-255)")]
    if info.load_seconds:
        rows.append(("Loaded in", f"{info.load_seconds:.2f} s"))
    overview = "<table cellspacing=6>" + "".join(
        f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table>"
    sections = card_sections(meta.card)
    training = [s for s in sections if s.title in TRAINING_PAGE]
    overview += "".join(_section_html(s) for s in sections if s.title not in TRAINING_PAGE)
    classes = "<table cellspacing=4>" + "".join(
        f"<tr><td align=right>{i}</td><td>{_swatch(c)}</td><td>{html.escape(n)}</td></tr>"
        for i, (n, c) in enumerate(zip(meta.classes.names, meta.classes.colors))) + "</table>"
    protocols = ""
    for name in dict.fromkeys(("fast", "official", *meta.protocols)):  # what `main.py info` lists
        settings = meta.protocol(name).to_dict()
        protocols += f"<h4>{name}</h4><table cellspacing=4>" + "".join(
            f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(str(v))}</td></tr>"
            for k, v in settings.items() if k != "name") + "</table>"
    pages = {"Overview": overview, "Classes": classes, "Protocols": protocols}
    if training:
        pages["Training"] = "".join(_section_html(s) for s in training)
    return pages


def _section_html(section: Section) -> str:
    """A card section in the words `main.py info` prints (app/checkpoints/card_text.py)."""
    rows = "".join(f"<tr><td valign=top><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" if k
                   else f"<tr><td colspan=2>{html.escape(v)}</td></tr>" for k, v in section.rows)
    body = f"<h4>{html.escape(section.title)}</h4><table cellspacing=4>{rows}</table>"
    for table in section.tables:
        head = "".join(f"<th align=left>{html.escape(c)}</th>" for c in table.header)
        cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
        body += f"<table cellspacing=0 cellpadding=3 border=1><tr>{head}</tr>{cells}</table>"
    return body


class ModelCardDialog(QDialog):
    def __init__(self, info: "ModelInfo", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setWindowTitle(f"Model Card: {info.meta.display_name}")
        self.resize(620, 560)
        tabs = QTabWidget()
        for title, body in model_card_html(info).items():
            browser = QTextBrowser()
            browser.setOpenExternalLinks(True)
            browser.setHtml(body)
            tabs.addTab(browser, title)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)


def show_model_card(info: "ModelInfo", parent: QWidget) -> ModelCardDialog:
    """One card dialog per window: asked again, the open (or closed) one comes back; for
    another model (or device), the old one is closed and deleted and a new one shown."""
    for old in parent.findChildren(ModelCardDialog, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if old.info is info:
            old.show()
            old.raise_()
            old.activateWindow()
            return old
        old.close()
        old.deleteLater()
    dialog = ModelCardDialog(info, parent)
    dialog.show()
    return dialog


def shortcuts_html(actions: list[QAction]) -> str:
    rows = []
    for action in actions:
        keys = ", ".join(k.toString() for k in action.shortcuts() if not k.isEmpty())
        if keys:
            rows.append(f"<tr><td><b>{html.escape(keys)}</b></td>"
                        f"<td>{html.escape(action.text().replace('&', '').rstrip('.'))}</td></tr>")
    return ("<table cellspacing=6>" + "".join(rows) + "</table>"
            "<p>Mouse: wheel zooms, drag pans, click a pixel to highlight its class.</p>")


def show_shortcuts(parent: QWidget, actions: list[QAction]) -> None:
    box = QMessageBox(parent)
    box.setWindowTitle("Keyboard Shortcuts")
    box.setText(shortcuts_html(actions))
    box.setModal(False)
    box.show()


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About PSPNet Studio",
                      "<h3>PSPNet Studio 0.1</h3><p>Semantic segmentation with the Pyramid Scene "
                      "Parsing Network (Zhao et al., CVPR 2017): view, batch-label, and look inside "
                      "the pyramid pooling module.</p><p>Loads the official semseg, mmsegmentation "
                      "and CSAIL checkpoints and the project's own safetensors models.</p>")
