import os
import stat

import pytest

from app.fileio import atomic_path, atomic_write_bytes


def test_written_file_has_the_usual_mode_and_no_temporaries(tmp_path):
    old = os.umask(0o022)
    try:
        target = atomic_write_bytes(tmp_path / "a.bin", b"data")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("original")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temp:
            temp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_no_overwrite_refuses_before_writing(tmp_path):
    target = tmp_path / "x"
    target.write_text("mine")
    with pytest.raises(FileExistsError):
        atomic_write_bytes(target, b"theirs", overwrite=False)
    assert target.read_text() == "mine"


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "nope" / "x", b"")
