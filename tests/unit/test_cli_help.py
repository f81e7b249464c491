"""``main.py --help`` speaks to users: the app's options and every subcommand, no
developer notes, and without loading Qt or torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_the_apps_options_and_every_subcommand_without_loading_qt():
    probe = ("import sys; from app.cli import main; code = main(['--help']); "
             "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'torch'})); "
             "sys.exit(code)")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "``" not in out and "add_arguments" not in out  # no developer notes, no reST
    for option in ("IMAGE_OR_FOLDER", "--weights", "--device", "--protocol"):
        assert option in out
    from app.cli import SUBCOMMANDS

    for name in SUBCOMMANDS:
        assert f"\n  {name} " in out
    assert "LOADED []" in out


def test_every_option_of_every_subcommand_and_of_the_app_has_help():
    import argparse

    from app.cli import SUBCOMMANDS, build_parser
    from app.gui.launch import build_parser as app_parser

    parsers = {name: build_parser(name) for name in SUBCOMMANDS} | {"(the app)": app_parser()}
    missing = [f"{name} {action.option_strings[0] if action.option_strings else action.dest}"
               for name, parser in parsers.items() for action in parser._actions
               if not (action.help and action.help.strip()) and action.help != argparse.SUPPRESS]
    assert not missing, f"options without help: {', '.join(missing)}"
