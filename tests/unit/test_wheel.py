"""``pip install .`` ships the data the app needs: a wheel built from the checkout holds the
default weights, their card, the class files and the sample scenes, and the app's path
lookup (app/paths.py) finds them in the installed layout, not in a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# what a build reads: the project files, the package and its data
SOURCES = ("pyproject.toml", "setup.py", "README.md", "app", "resources", "weights")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the checkout (a build writes build/ beside its sources)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "--disable-pip-version-check", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("*.whl")
    return built


def _shipped_files() -> set[str]:
    """Every file of resources/ and weights/ as the wheel must name it (app/resources/..., app/weights/...)."""
    return {f"app/{path.relative_to(ROOT).as_posix()}" for folder in ("resources", "weights")
            for path in (ROOT / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts}


@pytest.mark.slow  # builds a wheel (seconds)
def test_the_wheel_holds_the_weights_the_resources_and_every_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"app/weights/pspnet_scenes.safetensors", "app/weights/pspnet_scenes.json",
            "app/resources/classes/ade20k.json"} <= names
    assert _shipped_files() <= names
    assert any(n.startswith("app/resources/samples/images/") for n in names)
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "app").rglob("__init__.py")}
    assert {f"{p}/__init__.py" for p in packages} <= names


@pytest.mark.slow
def test_an_installed_wheel_finds_its_data_inside_the_package(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # the installed copy only: no site hooks (the checkout's editable finder), no checkout on the path;
    # numpy from this environment, appended after it
    numpy_home = str(Path(__import__("numpy").__file__).resolve().parents[1])
    probe = (f"import sys; sys.path[:] = [{str(site)!r}, *sys.path[1:], {numpy_home!r}]\n"
             "import app, app.paths as p\n"
             "from app.classes import dataset_classes\n"
             "print(app.__file__); print(p.DEFAULT_WEIGHTS); print(p.SAMPLES_DIR)\n"
             "print(p.DEFAULT_WEIGHTS.is_file(), p.DEFAULT_WEIGHTS.with_suffix('.json').is_file())\n"
             "print(len(list((p.SAMPLES_DIR / 'images').iterdir())), len(dataset_classes('ade20k')))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    package, weights, samples, found, counts = done.stdout.splitlines()
    installed = site / "app"
    assert Path(package).parent == installed
    assert Path(weights) == installed / "weights" / "pspnet_scenes.safetensors"
    assert Path(samples) == installed / "resources" / "samples"
    assert found == "True True"
    assert counts == f"{len(list((ROOT / 'resources/samples/images').iterdir()))} 150"
