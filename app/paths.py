"""Where the project keeps its files; the only place paths inside the repo are spelled."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
WEIGHTS_DIR = ROOT / "weights"
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
