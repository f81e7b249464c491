"""A model card's training and metrics read as text, the same in `main.py info` and the dialog."""

from __future__ import annotations

import json
from pathlib import Path

from app.checkpoints.card_text import MAX_TEXT, card_sections, sections_text, value_text
from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "weights" / "pspnet_scenes.safetensors"


def _section(sections, title):
    return next(s for s in sections if s.title == title)


def test_shipped_card_reads_as_sentences_and_tables():
    card = json.loads(SHIPPED.with_suffix(".json").read_text())
    sections = card_sections(card)
    assert [s.title for s in sections][:3] == ["Description", "Training", "Metrics"]
    training = dict(_section(sections, "Training").rows)
    history = card["training"]["history"]
    best = max(history, key=lambda h: h["val_mIoU"])
    assert training["history"].startswith(f"{len(history)} epochs, loss ")
    assert f"best validation mIoU {best['val_mIoU']:.2%} (epoch {best['epoch']})" in training["history"]
    assert training["command"] == card["training"]["command"]
    assert training["data"] == "generated scenes (app/training/scenes)"
    table = _section(sections, "Training").tables[0]
    assert table.header == ("epoch", "loss", "val mIoU", "seconds") and len(table.rows) == len(history)
    metrics = _section(sections, "Metrics")
    test_iou = card["metrics"]["test"]["mIoU"]
    assert dict(metrics.rows)["test"].startswith(f"mIoU {test_iou:.2%}; ")
    per_class = metrics.tables[0]
    assert per_class.header[:3] == ("class", "validation IoU", "test IoU")
    assert [r[0] for r in per_class.rows] == list(card["metrics"]["test"]["per_class_iou"])
    text = "\n".join(sections_text(sections))
    assert "{" not in text and '"' not in text, "no JSON left in the text"


def test_info_prints_the_card_sections(capsys):
    assert main(["info", str(SHIPPED)]) == 0
    out = capsys.readouterr().out
    card = json.loads(SHIPPED.with_suffix(".json").read_text())
    for line in sections_text(card_sections(card)):
        assert line in out
    assert "training=" not in out and "recipe={" not in out


def test_mmseg_and_semseg_training_facts_get_their_words():
    sections = card_sections({"training": {"mmseg_version": "1.2.2", "iter": 80000, "time": "2023-01-01"}})
    assert _section(sections, "Training").rows == [("mmseg version", "1.2.2"), ("iterations", "80000"),
                                                     ("saved", "2023-01-01")]
    assert sections_text(card_sections({"training": {"epoch": 50}})) == ["training:", "  epoch  50"]


def test_unknown_and_odd_fields_are_labelled_values_and_bounded():
    card = {"notes": ["a note", "another"], "author": "someone", "extra": {"deep": {"deeper": [1, 2.5, None]}},
            "huge": "x" * (MAX_TEXT * 3), "rows": [{"a": 1}, {"a": 2, "b": True}], "empty": {}}
    sections = card_sections(card)
    titles = [s.title for s in sections]
    assert titles == ["Extra", "Card", "Notes"]
    assert _section(sections, "Extra").rows == [("deep / deeper", "1, 2.5, none")]
    loose = _section(sections, "Card")
    assert ("author", "someone") in loose.rows
    huge = dict(loose.rows)["huge"]
    assert len(huge) == MAX_TEXT + 4 and huge.endswith(" ...")
    assert loose.tables[0].header == ("a", "b") and loose.tables[0].rows == [("1", ""), ("2", "yes")]
    assert _section(sections, "Notes").rows == [("", "a note"), ("", "another")]
    assert card_sections({}) == []


def test_value_text_formats():
    assert value_text(0.91409, "mIoU") == "91.41%"
    assert value_text(0.91409) == "0.9141"
    assert value_text(12.5, "mIoU") == "12.5", "not a fraction: left as a number"
    assert value_text({"lr": 0.01, "skip": None}) == "learning rate 0.01"
