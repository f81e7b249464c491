"""``main.py export`` and ``main.py import`` as a user runs them: files, messages, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from app.engine.imageio import read_label_map
from app.engine.writers import label_image
from app.training.scenes import scene_classes
from tests.unit.export_scenes import make_run_folder

ROOT = Path(__file__).resolve().parents[2]


def main_py(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_export_then_import_round_trip(tmp_path):
    maps = make_run_folder(tmp_path)
    run = str(tmp_path / "run")
    done = main_py("export", run, "--format", "cvat-mask", "--dest", str(tmp_path / "cvat.zip"))
    assert done.returncode == 0, done.stderr
    assert "exported 3 label map(s)" in done.stderr
    with zipfile.ZipFile(tmp_path / "cvat.zip") as archive:
        archive.extractall(tmp_path / "cvat")
    back = main_py("import", "--format", "cvat-mask", str(tmp_path / "cvat"), "--dest", str(tmp_path / "labels"),
                   "--labelmap", str(tmp_path / "run" / "labelmap.txt"))
    assert back.returncode == 0, back.stderr
    for name, expected in maps.items():
        assert np.array_equal(read_label_map(tmp_path / "labels" / f"{name}.png"), expected)


def test_existing_destination_and_bad_maps_exit_codes(tmp_path):
    make_run_folder(tmp_path)
    run, dest = str(tmp_path / "run"), str(tmp_path / "yolo")
    assert main_py("export", run, "--format", "yolo-seg", "--dest", dest).returncode == 0
    again = main_py("export", run, "--format", "yolo-seg", "--dest", dest)
    assert again.returncode == 2 and "exists; not replacing it (use --overwrite" in again.stderr
    bad = np.zeros((64, 160), np.uint8)
    bad[5, 5] = 77
    label_image(bad, scene_classes()).save(tmp_path / "run" / "scene_2.png")
    partly = main_py("export", run, "--format", "yolo-seg", "--dest", dest, "--overwrite")
    assert partly.returncode == 1
    assert "scene_2.png: value(s) 77 in 1 pixel(s) are not class indices" in partly.stderr
    assert (tmp_path / "yolo" / "labels" / "scene_1.txt").is_file()
    assert not (tmp_path / "yolo" / "labels" / "scene_2.txt").exists()


def test_usage_errors_exit_2(tmp_path):
    not_run = main_py("export", str(tmp_path), "--format", "voc", "--dest", str(tmp_path / "v"))
    assert not_run.returncode == 2 and "no labelmap.txt" in not_run.stderr
    bad_format = main_py("export", str(tmp_path), "--format", "pascal", "--dest", str(tmp_path / "v"))
    assert bad_format.returncode == 2 and "invalid choice" in bad_format.stderr
    missing = main_py("import", "--format", "coco", str(tmp_path / "nothing"), "--dest", str(tmp_path / "l"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


@pytest.mark.slow
def test_a_real_segment_run_exports(tmp_path):
    """The files `segment` writes (not a hand-made copy) export and import back unchanged."""
    from PIL import Image

    from app.training.scenes import generate_scene
    from tests.helpers import save_tiny_weights

    weights = save_tiny_weights(tmp_path / "w")
    photos = tmp_path / "photos"
    photos.mkdir()
    for seed in (1, 2):
        Image.fromarray(generate_scene(seed, (96, 48)).image).save(photos / f"p{seed}.jpg")
    seg = main_py("segment", str(photos), "--out", str(tmp_path / "run"), "--weights", str(weights),
                  "--device", "cpu")
    assert seg.returncode == 0, seg.stderr
    done = main_py("export", str(tmp_path / "run"), "--format", "labelme", "--dest", str(tmp_path / "lm"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lm" / "p1.jpg").read_bytes() == (photos / "p1.jpg").read_bytes()  # the photo as is
    back = main_py("import", "--format", "labelme", str(tmp_path / "lm"), "--dest", str(tmp_path / "back"))
    assert back.returncode == 0, back.stderr
    for name in ("p1", "p2"):
        assert np.array_equal(read_label_map(tmp_path / "back" / f"{name}.png"),
                              read_label_map(tmp_path / "run" / f"{name}.png"))
