"""docs/gui.md's command line names every option main.py's window takes."""

from __future__ import annotations

from pathlib import Path

from app.gui.launch import build_parser

GUI_DOC = Path(__file__).resolve().parents[2] / "docs" / "gui.md"


def test_the_synopsis_names_every_option_of_the_window():
    synopsis = next(line for line in GUI_DOC.read_text(encoding="utf-8").splitlines()
                    if line.startswith("`python main.py ["))
    options = [o for action in build_parser()._actions for o in action.option_strings
               if o.startswith("--") and o != "--gui-help"]
    assert "--overwrite" in options
    assert [o for o in options if o not in synopsis] == []


def test_the_screenshot_write_policy_is_described():
    text = GUI_DOC.read_text(encoding="utf-8")
    assert "`--overwrite` replaces it" in text and "exit 2" in text and "exits 1" in text
