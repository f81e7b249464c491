"""The process entry (main.py): after a subcommand the heap is frozen, so Python's exit does
not walk every torch object; after the GUI it is not (Qt tears its objects down itself).
The commands' outputs are checked whole by the e2e tests, which run main.py as a process."""

from __future__ import annotations

import gc
import sys

import pytest

import app.cli as cli


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # this test process keeps collecting everything


@pytest.mark.parametrize("argv, frozen", [(["info", "w.pth"], True), (["--weights", "w.pth"], False), ([], False)])
def test_only_a_subcommand_freezes_the_heap_before_exit(monkeypatch, unfrozen, argv, frozen):
    ran = []
    monkeypatch.setattr(sys, "argv", ["main.py", *argv])
    monkeypatch.setattr(cli, "main", lambda args: ran.append(list(args)) or 3)
    assert cli.entry_point() == 3 and ran == [argv]
    assert (gc.get_freeze_count() > 0) is frozen
