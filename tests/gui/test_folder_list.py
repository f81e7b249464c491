"""The folder list: search, sort, the failed filter, flags at scan time, 16-bit thumbnails."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.gui.docks import ItemStatus
from app.labels.review import ReviewState
from tests.gui.conftest import RESULT_TIMEOUT_MS


@pytest.fixture
def dock(qtbot, image_folder):
    from app.gui.docks import FolderDock
    from app.gui.files import list_images

    folder_dock = FolderDock()
    qtbot.addWidget(folder_dock)
    folder_dock.set_folder(image_folder, list_images(image_folder))
    yield folder_dock
    folder_dock.thumbnails.shutdown(2000)


def test_search_keeps_the_names_with_every_word_and_the_title_counts_them(dock, image_folder):
    dock.set_search("SCENE1")
    assert dock.visible_paths() == [image_folder / "scene1.png"]
    assert "1 of 4 images shown" in dock.title.text()
    dock.set_search("sc png")  # every word must be in the name
    assert dock.visible_paths() == [image_folder / f"scene{i}.png" for i in range(3)]
    assert dock.neighbour(image_folder / "scene2.png", 1) is None  # navigation skips the hidden file
    dock.set_search("")
    assert len(dock.visible_paths()) == 4 and dock.title.text() == "images  (4 images)"


def test_sort_by_review_state_puts_the_work_left_first(dock, image_folder):
    scenes = [image_folder / f"scene{i}.png" for i in range(3)]
    dock.set_reviews({scenes[0]: ReviewState.ACCEPTED, scenes[1]: ReviewState.NEEDS_WORK})
    dock.sort.setCurrentIndex(dock.sort.findData("review"))
    assert dock.paths() == [scenes[2], image_folder / "zz_broken.jpg", scenes[1], scenes[0]]
    dock.set_reviews({scenes[2]: ReviewState.ACCEPTED})  # the order follows new marks
    assert dock.paths() == [image_folder / "zz_broken.jpg", scenes[1], scenes[0], scenes[2]]
    dock.sort.setCurrentIndex(0)
    assert dock.paths() == [*scenes, image_folder / "zz_broken.jpg"]


def test_confidence_sort_is_offered_only_with_saved_records(dock, image_folder):
    offered = dock.sort.model().item(1).isEnabled
    assert not offered() and dock.sort.isEnabled()  # name and review order still work
    dock.set_confidences({image_folder / "scene0.png": 0.9, image_folder / "scene1.png": 0.4})
    assert offered()


def test_a_bad_file_is_flagged_when_the_folder_is_scanned_and_the_filter_shows_it(qtbot, dock, image_folder):
    broken = image_folder / "zz_broken.jpg"
    qtbot.waitUntil(lambda: dock.status(broken) == ItemStatus.FAILED, timeout=RESULT_TIMEOUT_MS)
    item = dock.tree.topLevelItem(3)
    assert "not an image file" in item.toolTip(1)  # the reader's reason, before any visit
    assert dock.status(image_folder / "scene0.png") == ItemStatus.PENDING
    assert dock.review_filter.itemText(4) == "Failed (1)"
    dock.set_filter(ItemStatus.FAILED)
    assert dock.visible_paths() == [broken]
    dock.set_status(broken, ItemStatus.DONE)  # e.g. replaced by a good file and segmented
    assert dock.visible_paths() == [] and dock.review_filter.itemText(4) == "Failed (0)"


def test_thumbnail_of_a_16_bit_image_is_not_blank(qtbot, tmp_path):
    from app.gui.thumbnails import load_thumbnail

    ramp = (np.linspace(0, 65535, 256)[None, :] * np.ones((192, 1))).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "depth16.png")
    thumb = load_thumbnail(tmp_path / "depth16.png")
    assert not thumb.isNull()
    values = {thumb.pixelColor(x, thumb.height() // 2).red() for x in range(thumb.width())}
    assert min(values) < 20 and max(values) > 235


def test_ctrl_f_puts_the_cursor_in_the_folder_search(qtbot, window):
    window.actions_.find.trigger()
    qtbot.waitUntil(window.folder.search.hasFocus, timeout=2000)


def test_names_wrap_whole_onto_two_lines_only_when_they_fit_there():
    from app.gui.docks.name_delegate import BREAKS, lines_needed

    def width(text: str) -> int:
        return 7 * len(text)  # a monospaced stand-in: 7 px a character

    def lines(name: str, room: int) -> int:
        return lines_needed([p for p in BREAKS.split(name) if p], width, room)

    assert lines("short.png", 100) == 1
    assert lines("scene_20000000.jpg", 100) == 2  # "scene_" / "20000000.jpg"
    assert lines("IMG20240101123456789.jpg", 100) > 2  # one piece wider than the room: cut in the middle
    assert lines("a_very_long_file_name_from_a_camera.jpg", 100) > 2
