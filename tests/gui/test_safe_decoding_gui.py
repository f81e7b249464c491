"""The window reads through the one image reader too: a PostScript file named like a photo
is a message in the window, a missing thumbnail in the folder, and never reaches PIL's EPS
plugin; saved labels refuse a colour image."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.checkpoints.meta import ProtocolSettings
from app.gui.batch.saved_labels import saved_view
from app.gui.thumbnails import load_thumbnail
from tests.gui.conftest import RESULT_TIMEOUT_MS
from tests.image_files import eps_spy, hostile_postscript  # noqa: F401 - a fixture

REFUSED = "PostScript is not an image format this app reads"


@pytest.mark.timeout(120)
def test_the_window_refuses_postscript_named_as_a_photo(qtbot, window, tmp_path, eps_spy):  # noqa: F811
    target = tmp_path / "written_by_ghostscript.txt"
    hostile = tmp_path / "clobber.png"
    hostile.write_bytes(hostile_postscript(target))
    with qtbot.waitSignal(window.viewer.message, timeout=RESULT_TIMEOUT_MS) as blocker:
        window.viewer.open_path(hostile)
    level, text = blocker.args
    assert level == "error" and "clobber.png" in text and REFUSED in text
    assert load_thumbnail(hostile).isNull()
    assert eps_spy == [] and not target.exists()


def test_thumbnails_of_good_files(tmp_path):
    rgb = np.zeros((300, 400, 3), np.uint8)
    rgb[:, 200:] = (0, 200, 0)
    Image.fromarray(rgb).save(tmp_path / "half.png")
    thumb = load_thumbnail(tmp_path / "half.png")
    assert (thumb.width(), thumb.height()) == (72, 54)
    assert thumb.pixelColor(5, 20).green() == 0 and thumb.pixelColor(66, 20).green() == 200


def test_saved_labels_go_through_the_label_reader(tmp_path):
    Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(tmp_path / "photo.jpg")
    labels = (np.arange(80).reshape(8, 10) % 3).astype(np.uint8)
    Image.fromarray(labels).save(tmp_path / "photo.png")
    view = saved_view(tmp_path / "photo.jpg", tmp_path / "photo.png", 3, ProtocolSettings())
    assert np.array_equal(view.result.labels, labels)
    Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(tmp_path / "photo_color.png")
    with pytest.raises(ValueError, match="cannot be read as labels"):
        saved_view(tmp_path / "photo.jpg", tmp_path / "photo_color.png", 3, ProtocolSettings())
