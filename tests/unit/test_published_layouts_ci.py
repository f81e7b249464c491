"""Under CI the published-layout tests fail when ../shared is missing (elsewhere they skip).

The test module and its helpers are copied into a folder with no ../shared beside it and
run there in a fresh pytest with CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "tests" / "unit"
ONE_TEST = "test_mmseg_1x_dataset_meta_without_counters"


def _run_without_shared(tmp_path: Path, ci: str) -> subprocess.CompletedProcess:
    unit = tmp_path / "checkout" / "tests" / "unit"
    unit.mkdir(parents=True)
    for name in ("test_checkpoint_published.py", "published_layouts.py", "reference_forward.py"):
        shutil.copy(UNIT / name, unit / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": ci}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-k", ONE_TEST,
                           str(unit / "test_checkpoint_published.py")],
                          cwd=tmp_path / "checkout", env=env, capture_output=True, text=True, timeout=240)


@pytest.mark.slow  # a fresh interpreter imports torch (seconds)
def test_missing_shared_fails_under_ci(tmp_path):
    failed = _run_without_shared(tmp_path, "true")
    assert failed.returncode == 1 and "1 error" in failed.stdout, failed.stdout + failed.stderr
    assert "reference key listings not found" in failed.stdout and "under CI these tests must run" in failed.stdout
