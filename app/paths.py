"""Where the project keeps its files; the only place paths inside the repo are spelled."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
WEIGHTS_DIR = ROOT / "weights"
SAMPLES_DIR = RESOURCES / "samples"
# The shipped default model (project format: safetensors + JSON card beside it).
DEFAULT_WEIGHTS = WEIGHTS_DIR / "pspnet_scenes.safetensors"
