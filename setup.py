"""Packaging beyond pyproject.toml: the shipped data goes into the wheel.

resources/ (class metadata, sample scenes) and weights/ (the default model and its card)
stay beside app/ in the checkout, where the docs and the training recipe name them; a
wheel (``pip install .``) carries them as ``app/resources`` and ``app/weights``, where
app/paths.py looks first. pyproject.toml cannot map folders outside the package, so the
package list is made here: every package under app/, plus the two data folders.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
DATA = {"app.resources": "resources", "app.weights": "weights"}


def data_packages(package: str, folder: str) -> dict[str, list[str]]:
    """Every folder of ``folder`` as a package of data files (setuptools copies files per package)."""
    root = HERE / folder
    found = {}
    for sub in (root, *sorted(p for p in root.rglob("*") if p.is_dir() and p.name != "__pycache__")):
        files = sorted(f.name for f in sub.iterdir() if f.is_file() and not f.name.startswith("."))
        name = ".".join((package, *sub.relative_to(root).parts))
        found[name] = files
    return found


package_data = {name: files for package, folder in DATA.items() for name, files in data_packages(package, folder).items()}
setup(packages=[*find_packages(include=["app", "app.*"]), *package_data],
      package_dir=DATA,
      package_data=package_data,
      include_package_data=False)
