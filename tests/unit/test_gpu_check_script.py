"""benchmarks/gpu_check.py on a machine without a GPU: it says so and exits 0."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


@pytest.mark.skipif(torch.cuda.is_available(), reason="with a GPU the script runs the whole check (minutes)")
def test_gpu_check_without_a_gpu_exits_cleanly(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["gpu_check.py"])
    assert module.main() == 0
    assert "no CUDA GPU on this machine" in capsys.readouterr().out
