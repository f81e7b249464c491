"""The core must stay free of Qt: the command line and the Ray workers import it."""

import ast
from pathlib import Path

CORE = ["model", "checkpoints", "classes", "engine", "training", "cluster", "labels", "interchange"]
APP = Path(__file__).resolve().parents[2] / "app"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "shiboken6")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_packages_do_not_import_qt():
    offenders = []
    for package in CORE:
        for path in (APP / package).rglob("*.py"):
            bad = [n for n in _imports(path) if n.split(".")[0] in QT_MODULES or n.startswith("app.gui")]
            if bad:
                offenders.append(f"{path.relative_to(APP)}: {bad}")
    assert not offenders, "Qt imported from the core:\n" + "\n".join(offenders)
    assert any((APP / p).rglob("*.py") for p in CORE)
