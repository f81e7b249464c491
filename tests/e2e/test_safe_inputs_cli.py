"""Hostile and odd inputs through the command line: per-file messages, no traceback, no hang,
and nothing a PostScript program asked for is ever written."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from tests.engine_fixtures import constant_weights, evaluation_set  # noqa: F401 - a fixture
from tests.helpers import save_tiny_weights
from tests.engine_fixtures import block_image
from tests.image_files import eps_spy, hostile_postscript, write_gray_bomb_png  # noqa: F401

REFUSED = "PostScript is not an image format this app reads"


@pytest.mark.timeout(120)
def test_segment_refuses_postscript_named_as_photos(tmp_path, eps_spy, capsys):  # noqa: F811
    weights = save_tiny_weights(tmp_path / "w")
    src, target = tmp_path / "in", tmp_path / "written_by_ghostscript.txt"
    src.mkdir()
    Image.fromarray(block_image(30, 44, 1)).save(src / "good.png")
    for name in ("clobber.png", "x.jpg"):
        (src / name).write_bytes(hostile_postscript(target))
    code = main(["segment", str(src), "--out", str(tmp_path / "out"), "--weights", str(weights)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    failed = err.split("\nfailed:\n")[1]
    for name in ("clobber.png", "x.jpg"):
        assert any(name in line and REFUSED in line for line in failed.splitlines()), failed
    assert (tmp_path / "out" / "good.png").is_file()
    assert eps_spy == [] and not target.exists()


@pytest.mark.timeout(120)
def test_evaluate_reports_huge_and_hostile_labels_per_file(tmp_path, constant_weights, eps_spy,  # noqa: F811
                                                           capsys):
    evaluation_set(tmp_path / "data", raw=False)
    labels = tmp_path / "data" / "labels"
    write_gray_bomb_png(labels / "im1.png", 30000, 30000)
    target = tmp_path / "written_by_ghostscript.txt"
    (labels / "im2.png").write_bytes(hostile_postscript(target))
    code = main(["evaluate", "--data", str(tmp_path / "data"), "--weights", str(constant_weights)])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err
    assert "mIoU 13.33" in captured.out  # im0 still counts
    lines = captured.err.splitlines()
    assert any("im1.png" in line and "more than the limit of 100 MP" in line for line in lines), captured.err
    assert any("im2.png" in line and REFUSED in line for line in lines), captured.err
    assert eps_spy == [] and not target.exists()


@pytest.mark.timeout(60)
def test_evaluate_with_a_fifo_label_fails_that_file_fast(tmp_path, constant_weights, capsys):  # noqa: F811
    evaluation_set(tmp_path / "data", raw=False, count=3)
    for fifo in (tmp_path / "data" / "labels" / "im1.png", tmp_path / "data" / "images" / "im2.jpg"):
        fifo.unlink()
        os.mkfifo(fifo)
    code = main(["evaluate", "--data", str(tmp_path / "data"), "--weights", str(constant_weights)])
    captured = capsys.readouterr()
    assert code == 1 and "mIoU" in captured.out and "Traceback" not in captured.err
    lines = captured.err.splitlines()
    for name in ("im1.png", "im2.jpg"):
        assert any(name in line and "named pipe (FIFO)" in line for line in lines), captured.err


@pytest.mark.timeout(60)
def test_train_data_with_a_fifo_fails_fast_with_its_name(tmp_path):
    from app.training.data import DataError, folder_dataset

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "labels" / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "labels" / "b.png")
    os.mkfifo(tmp_path / "images" / "b.png")
    with pytest.raises(DataError, match=r"b\.png: is a named pipe \(FIFO\)"):
        folder_dataset(tmp_path, (8, 8), 3)
    (tmp_path / "images" / "b.png").unlink()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "b.png")
    write_gray_bomb_png(tmp_path / "labels" / "b.png", 30000, 30000)
    with pytest.raises(DataError, match="more than the limit"):
        folder_dataset(tmp_path, (8, 8), 3)


@pytest.mark.timeout(120)
def test_segment_fails_special_files_per_file_never_hangs(tmp_path, capsys):
    weights = save_tiny_weights(tmp_path / "w")
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(block_image(30, 44, 1)).save(src / "good.png")
    os.mkfifo(src / "pipe.png")  # met in the folder
    os.mkfifo(tmp_path / "given.jpg")  # given directly
    (src / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    code = main(["segment", str(src), str(tmp_path / "given.jpg"), "--out", str(tmp_path / "out"),
                 "--weights", str(weights)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    failed = err.split("\nfailed:\n")[1].splitlines()
    for name in ("pipe.png", "given.jpg"):
        assert any(name in line and "named pipe (FIFO), not a regular file" in line for line in failed), err
    assert any("nowhere.jpg" in line and "not found" in line for line in failed), err  # the link's target
    assert (tmp_path / "out" / "good.png").is_file()
