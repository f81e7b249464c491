"""Shared test set-up: headless Qt, a deterministic torch, small models."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# the ONNX graphs the tests build (app/engine/onnx_backend.py) go to a fresh folder, never the user's cache
os.environ["PSPNET_STUDIO_CACHE"] = tempfile.mkdtemp(prefix="pspnet-test-cache-")
atexit.register(shutil.rmtree, os.environ["PSPNET_STUDIO_CACHE"], ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture
def tiny_config():
    """A very small PSPNet config for fast tests (BasicBlock, narrow widths)."""
    from app.model import PSPNetConfig

    return PSPNetConfig(num_classes=5, backbone="resnet18", base_width=8, stem_widths=(8, 8, 16),
                        ppm_channels=8, head_channels=16, align_corners=False)


@pytest.fixture
def tiny_model(tiny_config):
    import torch

    from app.model import build_pspnet

    torch.manual_seed(0)
    return build_pspnet(tiny_config)
