"""Where the project keeps its files; the only place paths inside the repo are spelled."""

import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def shipped_dir(name: str) -> Path:
    """A folder of shipped data: inside the package when installed from a wheel (setup.py
    puts resources/ and weights/ there), else beside app/ in the checkout (and an editable
    install), where the docs and the training recipe name them."""
    installed = PACKAGE / name
    return installed if installed.is_dir() else ROOT / name


RESOURCES = shipped_dir("resources")
WEIGHTS_DIR = shipped_dir("weights")
SAMPLES_DIR = RESOURCES / "samples"
# The shipped default model (project format: safetensors + JSON card beside it).
DEFAULT_WEIGHTS = WEIGHTS_DIR / "pspnet_scenes.safetensors"

# The user's cache folder (rebuildable files only: the ONNX graphs of app/engine/onnx_backend.py);
# PSPNET_STUDIO_CACHE moves it (the tests point it at a temporary folder).
CACHE_ENV = "PSPNET_STUDIO_CACHE"


def user_cache_dir() -> Path:
    """$PSPNET_STUDIO_CACHE, else the platform's per-user cache folder + pspnet-studio."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pspnet-studio"
