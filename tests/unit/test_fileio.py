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


def test_a_writer_that_recreates_the_temporary_still_gives_the_usual_mode(tmp_path):
    """safetensors' save_file replaces the file it is given by one of mode 0600."""

    mask = os.umask(0o022)
    try:
        target = tmp_path / "weights.bin"
        with atomic_path(target) as temp:
            temp.unlink()
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, b"new")
            os.close(fd)
        assert (target.stat().st_mode & 0o777) == 0o644
        target.chmod(0o640)  # replacing a file keeps that file's mode
        with atomic_path(target) as temp:
            temp.write_bytes(b"newer")
        assert (target.stat().st_mode & 0o777) == 0o640 and target.read_bytes() == b"newer"
    finally:
        os.umask(mask)


def test_saved_native_weights_are_readable_by_others(tmp_path):
    from app.checkpoints import save_native
    from tests.engine_fixtures import varied_loaded

    mask = os.umask(0o022)
    try:
        loaded = varied_loaded()
        path = save_native(tmp_path / "m.safetensors", loaded.model, loaded.meta)
        assert (path.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(mask)


def test_writes_never_change_the_umask(tmp_path, monkeypatch):
    """Changing the umask to read it races with other threads' (and Ray actors') files."""
    mask = os.umask(0o027)
    try:
        def no_umask(*_args):
            raise AssertionError("os.umask called during a write")

        monkeypatch.setattr(os, "umask", no_umask)
        target = atomic_write_bytes(tmp_path / "a.bin", b"data")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the umask in force, read by the kernel
    finally:
        monkeypatch.undo()
        os.umask(mask)


def test_temporary_names_fit_wherever_the_final_name_fits(tmp_path):
    for name in ("n" * 255, "é" * 127):  # 255 bytes; two-byte characters are cut whole
        target = atomic_write_bytes(tmp_path / name, b"long")
        assert target.read_bytes() == b"long"
    from app.fileio import is_temp_name, temp_path_beside, temp_prefix

    temp = temp_path_beside(tmp_path / ("n" * 255))
    assert len(os.fsencode(temp.name)) <= 255 and is_temp_name(temp.name, temp_prefix(tmp_path / ("n" * 255)))
    temp.unlink()
    assert sorted(len(p.name) for p in tmp_path.iterdir()) == [127, 255]


def test_a_file_that_appears_while_writing_is_never_replaced(tmp_path, monkeypatch):
    """The no-overwrite check ran before the data was written; a file created meanwhile
    (another run choosing the same name, the user) was renamed over."""
    import app.fileio as fileio
    target, real_fsync = tmp_path / "report.json", os.fsync

    def fsync_while_another_program_writes(fd):
        if not target.exists():
            target.write_text("another program's file")
        real_fsync(fd)
    monkeypatch.setattr(fileio.os, "fsync", fsync_while_another_program_writes)
    with pytest.raises(FileExistsError, match="appeared while it was being written"):
        atomic_write_bytes(target, b"ours", overwrite=False)
    assert target.read_text() == "another program's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_dangling_link_under_the_name_is_kept_without_overwrite(tmp_path):
    link = tmp_path / "weights.safetensors"
    link.symlink_to(tmp_path / "on-an-unmounted-disk.safetensors")
    with pytest.raises(FileExistsError):
        atomic_write_bytes(link, b"new", overwrite=False)
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["weights.safetensors"]


def test_without_hard_links_a_new_file_is_still_written(tmp_path, monkeypatch):
    import errno

    import app.fileio as fileio

    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")  # FAT, some network shares
    monkeypatch.setattr(fileio.os, "link", no_links)
    target = atomic_write_bytes(tmp_path / "new.bin", b"data", overwrite=False)
    assert target.read_bytes() == b"data" and sorted(p.name for p in tmp_path.iterdir()) == ["new.bin"]


def test_the_apps_own_files_are_appended_to_only_when_regular(tmp_path):
    from app.fileio import append_text

    append_text(tmp_path / "log", "one\n")
    append_text(tmp_path / "log", "two\n")
    assert (tmp_path / "log").read_text() == "one\ntwo\n"
    os.mkfifo(tmp_path / "fifo")  # would block an ordinary open("a") until a reader came
    with pytest.raises(OSError, match="not a regular file"):
        append_text(tmp_path / "fifo", "x")
    (tmp_path / "link").symlink_to(tmp_path / "log")
    with pytest.raises(OSError, match="symbolic link"):
        append_text(tmp_path / "link", "three\n")
    assert (tmp_path / "log").read_text() == "one\ntwo\n"
