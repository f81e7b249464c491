"""``main.py --screenshot FILE`` follows the write policy: a file the user did not ask to
replace is kept, and a failed write never leaves half an image (or the old one damaged)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QLabel

from app.gui import launch


@pytest.fixture
def no_window(monkeypatch):
    """Reaching the window would mean the refusal came too late (and would start the whole app)."""
    import app.gui.main_window as main_window

    def refuse(*_args, **_kwargs):
        raise AssertionError("the window was started although the screenshot could not be written")
    monkeypatch.setattr(main_window, "MainWindow", refuse)


def test_an_existing_file_is_kept_and_named_before_the_window_starts(tmp_path, no_window, capsys):
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"the user's picture")
    assert launch.launch(["--screenshot", str(shot)]) == launch.EXIT_USAGE
    assert shot.read_bytes() == b"the user's picture"
    assert "exists; it was kept. Use --overwrite" in capsys.readouterr().err


@pytest.mark.parametrize("name, says", [("nowhere/shot.png", "does not exist"), ("shot.gif", ".png"),
                                        ("shot", ".png")])
def test_a_screenshot_that_cannot_be_written_is_refused_first(tmp_path, no_window, capsys, name, says):
    """A missing folder or an unknown suffix: the app ran and only then said nothing useful."""
    assert launch.launch(["--screenshot", str(tmp_path / name)]) == launch.EXIT_USAGE
    assert says in capsys.readouterr().err and list(tmp_path.iterdir()) == []


def _widget(qtbot) -> QLabel:
    label = QLabel("PSPNet Studio")
    label.resize(120, 40)
    qtbot.addWidget(label)
    label.show()
    return label


def test_the_screenshot_is_a_whole_image(qtbot, tmp_path):
    shot = tmp_path / "shot.png"
    launch.save_screenshot(_widget(qtbot), shot, overwrite=False)
    with Image.open(shot) as image:
        assert image.format == "PNG" and image.size[0] >= 120
    assert [p.name for p in tmp_path.iterdir()] == ["shot.png"]


def test_a_file_that_appeared_while_the_app_ran_is_kept(qtbot, tmp_path):
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"written by another program meanwhile")
    with pytest.raises(FileExistsError):
        launch.save_screenshot(_widget(qtbot), shot, overwrite=False)
    assert shot.read_bytes() == b"written by another program meanwhile"


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(qtbot, tmp_path, monkeypatch):
    """Writing in place truncated the old screenshot first: a full disk left half of the new one."""
    shot = tmp_path / "shot.png"
    shot.write_bytes(b"the previous screenshot")
    real_write = Path.write_bytes

    def disk_full(self: Path, data) -> int:
        real_write(self, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(OSError, match="No space left"):
        launch.save_screenshot(_widget(qtbot), shot, overwrite=True)
    assert shot.read_bytes() == b"the previous screenshot"
    assert [p.name for p in tmp_path.iterdir()] == ["shot.png"]
