"""The model card dialog shows the training section as text, in `main.py info`'s words."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtWidgets import QTabWidget, QTextBrowser

from app.checkpoints import load_checkpoint
from app.checkpoints.card_text import card_sections
from app.gui.dialogs import ModelCardDialog, model_card_html
from app.gui.worker_types import ModelInfo

SHIPPED = Path(__file__).resolve().parents[2] / "weights" / "pspnet_scenes.safetensors"


def test_training_page_holds_the_card_sections_as_text(qtbot):
    meta = load_checkpoint(SHIPPED).meta
    info = ModelInfo(token=1, meta=meta, device="cpu", precision="fp32", source=str(SHIPPED))
    pages = model_card_html(info)
    assert list(pages) == ["Overview", "Classes", "Protocols", "Training"]
    sections = {s.title: s for s in card_sections(meta.card)}
    for title in ("Training", "Metrics"):
        assert f"<h4>{title}</h4>" in pages["Training"] and f"<h4>{title}</h4>" not in pages["Overview"]
        for key, text in sections[title].rows:
            assert html.escape(text) in pages["Training"], key
    assert "<h4>Description</h4>" in pages["Overview"]
    assert "&quot;" not in pages["Training"] and "{" not in pages["Training"], "no JSON dump"
    dialog = ModelCardDialog(info)
    qtbot.addWidget(dialog)
    tabs = dialog.findChild(QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == list(pages)
    training = tabs.widget(3)
    assert isinstance(training, QTextBrowser) and "best validation mIoU" in training.toPlainText()
