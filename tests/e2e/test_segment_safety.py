"""`segment` when writing goes wrong: a full disk, a folder where a file should go,
an unwritable sub-folder, a name too long, a folder in use. Each is a per-file failure
or a clear final error, the summary and failure list are printed, exit 1 (2 for a
folder in use), and never a traceback."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from app.engine.ledger_names import LOCK_NAME
from tests.helpers import folder_lock_held_elsewhere, save_tiny_weights


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    return save_tiny_weights(tmp_path_factory.mktemp("weights"))


def noisy_images(folder: Path, count: int, size=(160, 240)) -> Path:
    """Photos that compress badly, so their outputs fill a small disk quickly."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(folder / f"n{i:02d}.png")
    return folder


@pytest.fixture
def small_disk(tmp_path):
    """A 200 KiB tmpfs (root with mount permission only; skipped elsewhere, with the reason)."""
    mount = shutil.which("mount")
    point = tmp_path / "small"
    point.mkdir()
    if mount is None:
        pytest.skip("no mount command here")
    done = subprocess.run([mount, "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or done.returncode})")
    yield point
    subprocess.run(["umount", str(point)], check=False)


def test_a_full_disk_is_a_per_file_failure_not_a_traceback(tmp_path, small_disk, weights, capsys):
    src = noisy_images(tmp_path / "in", 8)
    out = small_disk / "out"
    code = main(["segment", str(src), "--out", str(out), "--weights", str(weights)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err and "done in" in err and "\nfailed:\n" in err
    assert "No space left on device" in err.split("\nfailed:\n")[1]
    assert "written" in err.split("done in")[1].splitlines()[0]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]  # no half-written file left
    assert not (out / LOCK_NAME).exists()


def test_run_files_and_sub_folders_in_the_way(tmp_path, weights, capsys):
    src = tmp_path / "in"
    noisy_images(src, 2, (30, 40))
    noisy_images(src / "sub", 1, (30, 40))
    out = tmp_path / "out"
    (out / "summary.json").mkdir(parents=True)  # a folder where the run summary goes
    (out / "sub").write_text("a file where the sub-folder's outputs go")
    long_name = "x" * 250 + ".png"
    Image.new("RGB", (30, 40)).save(src / long_name)
    code = main(["segment", str(src), "--out", str(out), "--weights", str(weights), "--recursive"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err and "done in" in err
    failed = err.split("\nfailed:\n")[1]
    assert "sub/n00.png" in failed and long_name[:40] in failed and "too long" in failed
    assert "error:" in err and "summary.json is a folder" in err
    assert (out / "n00.png").is_file() and (out / "n01.png").is_file() and (out / "summary.json").is_dir()
    assert (out / "summary.csv").is_file()


def test_a_folder_in_use_is_refused(tmp_path, weights, capsys):
    src = noisy_images(tmp_path / "in", 1, (30, 40))
    out = tmp_path / "out"
    out.mkdir()
    with folder_lock_held_elsewhere(out):
        code = main(["segment", str(src), "--out", str(out), "--weights", str(weights)])
    err = capsys.readouterr().err
    assert code == 2 and "is in use by another run" in err and "Traceback" not in err
    assert not (out / "n00.png").exists()
