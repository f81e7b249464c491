"""`main.py segment` end to end on a tiny saved model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from tests.engine_fixtures import block_image
from tests.helpers import save_tiny_weights
from tests.image_files import write_odd_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    return save_tiny_weights(tmp_path_factory.mktemp("weights"))


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_folder_with_bad_files(tmp_path, weights, capsys):
    kinds = write_odd_files(tmp_path / "in")
    inputs_before = files(tmp_path / "in")
    out = tmp_path / "out"
    code = main(["segment", str(tmp_path / "in"), "--out", str(out), "--weights", str(weights)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    for name, kind in kinds.items():
        stem = name.rsplit(".", 1)[0]
        produced = sorted(p.name for p in out.glob(f"{stem}*"))
        if kind == "good":
            assert produced == [f"{stem}.json", f"{stem}.png", f"{stem}_color.png", f"{stem}_overlay.jpg"]
        else:
            assert produced == [] and name in err.split("\nfailed:\n")[1]
    assert files(tmp_path / "in") == inputs_before  # nothing else touched
    assert sorted(p.name for p in out.iterdir() if not any(p.name.startswith(k.rsplit(".", 1)[0])
                                                             for k in kinds)) == \
        ["labelmap.txt", "pspnet-manifest.jsonl", "summary.csv", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"ok": 4, "skipped": 0, "failed": 4, "cancelled": 0}


def test_resume_no_overwrite_and_overwrite(tmp_path, weights, capsys):
    src = tmp_path / "in"
    for i in range(2):
        src.mkdir(exist_ok=True)
        Image.fromarray(block_image(30, 44, i)).save(src / f"p{i}.png")
    out = tmp_path / "out"
    args = ["segment", str(src), "--out", str(out), "--weights", str(weights), "--formats", "label,json"]
    assert main(args) == 0
    first = files(out)
    assert set(first) == {"p0.png", "p0.json", "p1.png", "p1.json", "labelmap.txt", "summary.json",
                          "summary.csv", "pspnet-manifest.jsonl"}
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert main(args) == 0
    assert "2 already done" in capsys.readouterr().err
    assert all(p.stat().st_mtime_ns == stamps[p.name] for p in out.glob("p[0-9]*"))
    (out / "p0.png").write_bytes(b"mine")  # not this app's file any more: kept, and reported
    assert main(args) == 1 and (out / "p0.png").read_bytes() == b"mine"
    assert "p0.png is in the way" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0 and (out / "p0.png").read_bytes() == first["p0.png"]


def test_recursive_mirror_collisions_and_official_protocol(tmp_path, weights):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(block_image(30, 44, 1)).save(src / "a.jpg")
    Image.fromarray(block_image(30, 44, 2)).save(src / "a.png")
    Image.fromarray(block_image(30, 44, 3)).save(src / "sub" / "b.bmp")
    out = tmp_path / "out"
    code = main(["segment", str(src), "--out", str(out), "--weights", str(weights), "--recursive",
                 "--protocol", "official", "--scales", "0.75", "1.0", "--formats", "label,json"])
    assert code == 0
    assert {"a_jpg.png", "a_png.png", "sub/b.png"} <= set(files(out))
    record = json.loads((out / "sub" / "b.json").read_text())
    assert record["protocol"]["name"] == "official" and record["protocol"]["flip"] is True
    assert record["protocol"]["scales"] == [0.75, 1.0] and record["protocol"]["crop_size"] == 33
    labels = np.asarray(Image.open(out / "sub" / "b.png"))
    assert labels.shape == (30, 44) and labels.max() < 5


def test_usage_errors_exit_2(tmp_path, weights, capsys):
    Image.fromarray(block_image(20, 20, 0)).save(tmp_path / "x.png")
    base = ["segment", str(tmp_path / "x.png"), "--out", str(tmp_path / "o")]
    assert main(["segment", str(tmp_path / "missing.jpg"), "--out", str(tmp_path / "o"),
                 "--weights", str(weights)]) == 2
    assert "missing.jpg" in capsys.readouterr().err
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    assert main(base + ["--weights", str(bad)]) == 2
    assert "bad.pth" in capsys.readouterr().err
    assert main(base + ["--weights", str(weights), "--device", "warp-drive"]) == 2
    assert "device" in capsys.readouterr().err
    assert main(base + ["--weights", str(weights), "--formats", "label,pdf"]) == 2
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    assert main(["segment", str(tmp_path / "x.png"), "--out", str(blocker / "o"), "--weights", str(weights)]) == 2
    assert "output folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_default_weights_missing_is_a_clear_usage_error(tmp_path, capsys, monkeypatch):
    import app.paths
    monkeypatch.setattr(app.paths, "DEFAULT_WEIGHTS", tmp_path / "nope.safetensors")
    Image.fromarray(block_image(20, 20, 0)).save(tmp_path / "x.png")
    assert main(["segment", str(tmp_path / "x.png"), "--out", str(tmp_path / "o")]) == 2
    assert "--weights" in capsys.readouterr().err


def test_real_process_plain_progress_lines(tmp_path, weights):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        Image.fromarray(block_image(24, 32, i)).save(src / f"p{i}.jpg")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "segment", str(src), "--out",
                           str(tmp_path / "out"), "--weights", str(weights), "--device", "cpu"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == 3 and lines[-1].startswith("[3/3]") and "img/s" in lines[-1]
    assert "broken.jpg" in proc.stderr.split("\nfailed:\n")[1]
