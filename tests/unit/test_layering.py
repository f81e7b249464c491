"""The core must stay free of Qt and of the command line: the CLI, the Ray workers and
the GUI's worker thread all import it, and a Ray worker has no Qt.

Checked by what Python really loads, in a fresh interpreter, not by reading import
statements: an import reached indirectly (core -> app.cli -> app.gui) counts too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ["model", "checkpoints", "classes", "engine", "training", "cluster", "labels",
        "interchange", "editing", "viewing"]
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6", "app.gui", "app.cli")

# Imports every module of the core packages, then lists which forbidden modules each
# import brought in (the first module that loads one is the one to blame).
PROBE = """
import importlib, json, pkgutil, sys
FORBIDDEN = tuple(sys.argv[2].split(","))
def forbidden():
    return {m for m in sys.modules if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN)}
names = ["app.fileio"]
for package in sys.argv[1].split(","):
    try:
        top = importlib.import_module("app." + package)
    except ModuleNotFoundError:
        continue
    names.append(top.__name__)
    names += [m.name for m in pkgutil.walk_packages(top.__path__, top.__name__ + ".")]
blame, seen = {}, forbidden()
for name in names:
    importlib.import_module(name)
    new = forbidden() - seen
    if new:
        blame[name] = sorted(new)
        seen |= new
print(json.dumps({"modules": names, "blame": blame}))
"""


def test_core_modules_load_neither_qt_nor_the_command_line():
    run = subprocess.run([sys.executable, "-c", PROBE, ",".join(CORE), ",".join(FORBIDDEN)],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(report["modules"]) > 50, report["modules"]  # the walk really found the core
    assert not report["blame"], "the core loads Qt or the command line:\n" + "\n".join(
        f"{module}: {', '.join(loaded)}" for module, loaded in report["blame"].items())


def test_the_probe_catches_an_indirect_import(tmp_path):
    """The check itself can fail: a module that reaches Qt through another is blamed."""
    package = tmp_path / "app" / "fake"
    package.mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "innocent.py").write_text("import app.fake.culprit\n")
    (package / "culprit.py").write_text("import json as _json\nimport sys\nsys.modules.setdefault('app.cli', _json)\n")
    (tmp_path / "app" / "fileio.py").write_text("")
    run = subprocess.run([sys.executable, "-c", PROBE, "fake", ",".join(FORBIDDEN)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["blame"] == {"app.fake.culprit": ["app.cli"]}
