"""Start-up: pyqtgraph comes in without the CUDA bindings (0.2-0.4 s), which stay importable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib.util, os, sys
os.environ["PYQTGRAPH_QT_LIB"] = "PySide6"
import PySide6.QtWidgets
from app.gui.launch import import_pyqtgraph
pg = import_pyqtgraph()
print("PG", pg.__name__, "CUDA_LOADED", any(m == "cuda" or m.startswith("cuda.") for m in sys.modules))
print("HOOKS_LEFT", sum(type(f).__name__ == "_WithoutCudaBindings" for f in sys.meta_path))
if importlib.util.find_spec("cuda") is not None:  # torch's CUDA builds bring it: still importable after
    import cuda.bindings.runtime
    print("CUDA_IMPORTABLE")
"""


def test_pyqtgraph_is_imported_without_the_cuda_bindings():
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert "PG pyqtgraph CUDA_LOADED False" in run.stdout
    assert "HOOKS_LEFT 0" in run.stdout
