"""Settings a person (or another version) wrote by hand: bad values fall back to the
defaults, numbers are kept in range, and one-element lists read back as lists."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from app.gui.settings import AppSettings


def ini_settings(tmp_path, text: str) -> AppSettings:
    path = tmp_path / "studio.ini"
    path.write_text(text)
    return AppSettings(QSettings(str(path), QSettings.Format.IniFormat))


def test_unreadable_numbers_fall_back_to_the_defaults(tmp_path):
    settings = ini_settings(tmp_path, "[view]\nopacity=lots\n[edit]\nbrush_size=2.5\n")
    assert settings.opacity() == 55
    assert settings.brush_size() == 15


def test_numbers_out_of_range_are_clamped(tmp_path):
    settings = ini_settings(tmp_path, "[view]\nopacity=400\n[edit]\nbrush_size=-3\n")
    assert settings.opacity() == 100
    assert settings.brush_size() == 1


def test_numbers_written_by_the_app_read_back(tmp_path):
    settings = ini_settings(tmp_path, "")
    settings.set_opacity(30)
    assert settings.opacity() == 30


def test_recent_lists_of_one_or_none_read_as_lists(tmp_path):
    settings = ini_settings(tmp_path, "[recent]\nfiles=/photos/a.png\nfolders=\n")
    assert settings.recent("files") == ["/photos/a.png"]
    assert settings.recent("folders") == []
    assert settings.recent("weights") == []
    settings.add_recent("weights", tmp_path / "b.pth")
    settings.add_recent("weights", tmp_path / "c.pth")
    assert settings.recent("weights") == [str((tmp_path / "c.pth").resolve()), str((tmp_path / "b.pth").resolve())]
