"""Small problems a hands-on walk through the window found (folder list, editor boxes,
read-out, export dialog, Open Recent), each checked where a daily user met it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QHeaderView, QTreeWidgetItem

from app.gui.docks.folder_widgets import image_tree
from app.gui.docks.name_delegate import LINE_SEPARATOR, start_and_end
from tests.gui.conftest import RESULT_TIMEOUT_MS
from tests.gui.editor_fixtures import editing  # noqa: F401 - the fixture


def test_a_name_too_long_for_two_lines_keeps_its_start_and_its_end():
    def width(text: str) -> int:
        return 7 * len(text)  # monospaced stand-in: 7 px a character

    def tail(text: str, room: int) -> str:
        return "\u2026" + text[-(room // 7 - 1):]

    shown = start_and_end("IMG_20240815_123456.jpg", width, tail, 70)
    first, second = shown.split(LINE_SEPARATOR)
    assert "IMG_20240815_123456.jpg".startswith(first) and second.endswith("3456.jpg")
    assert width(first) <= 70 and width(second) <= 70
    other = start_and_end("IMG_20240815_123457.jpg", width, tail, 70)
    assert other != shown  # names that differ only at the end stay apart
    assert start_and_end("a_b_c_d_e_f_g_h_i_j_k.png", width, tail, 70).split(LINE_SEPARATOR)[0] == "a_b_c_d_e_"


def _name_cell(tree, row: int) -> QImage:
    item = tree.topLevelItem(row)
    rect = tree.visualItemRect(item)
    rect.setWidth(tree.columnWidth(0))
    return tree.viewport().grab(rect).toImage()


def test_names_of_one_folder_cut_in_a_narrow_list_still_differ_on_screen(qtbot):
    """The folder list, its review column widened by 'accepted': every name read 'IMG_...jpg'."""
    tree = image_tree()
    qtbot.addWidget(tree)
    thumbnail = QPixmap(tree.iconSize())
    thumbnail.fill(QColor("gray"))
    for name in ("first.jpg", "IMG_20240815_123456.jpg", "IMG_20240815_123457.jpg"):  # the first: current
        item = QTreeWidgetItem([name, "done", "\u2713 accepted", "90.0%"])
        item.setIcon(0, QIcon(thumbnail))
        tree.addTopLevelItem(item)
    tree.resize(400, 200)
    tree.show()
    qtbot.waitExposed(tree)
    tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
    tree.header().resizeSection(0, tree.iconSize().width() + 14 + 50)  # room for ~7 characters a line
    qtbot.wait(50)
    assert _name_cell(tree, 1) != _name_cell(tree, 2)


def _choose_in_list(qtbot, picker, text: str) -> None:
    """What a user does: click the box (it takes the focus), open its list, click an entry."""
    picker.setFocus()
    qtbot.waitUntil(picker.hasFocus, timeout=2000)
    picker.showPopup()
    view = picker.view()
    qtbot.waitExposed(view)
    index = picker.model().index(picker.findText(text), 0)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=2000)


@pytest.mark.parametrize("box", ["paint_over", "paint_class"])
def test_after_choosing_a_class_in_a_toolbar_box_the_tool_keys_work_again(qtbot, editing, box):  # noqa: F811
    win, _item, _out = editing
    win.activateWindow()
    bar = win.editor.toolbar
    picker = getattr(bar, box)
    choice = picker.itemText(picker.count() - 1)
    _choose_in_list(qtbot, picker, choice)
    assert picker.currentText() == choice
    assert bar.tool() == "brush"
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_P)  # the Polygon tool's key
    assert bar.tool() == "polygon"
    assert picker.currentText() == choice  # not typed into the box


def test_typing_a_class_in_a_toolbar_box_and_return_chooses_it(qtbot, editing):  # noqa: F811
    """The boxes say 'type to search': Return went to Finish Polygon and chose nothing."""
    win, _item, _out = editing
    win.activateWindow()
    picker = win.editor.toolbar.paint_over
    finished: list[bool] = []
    win.editor.actions.finish.triggered.connect(finished.append)
    picker.setFocus()
    qtbot.waitUntil(picker.hasFocus, timeout=2000)
    picker.lineEdit().selectAll()
    names = win.viewer.classes().names
    last = len(names) - 1
    QTest.keyClicks(picker.lineEdit(), names[last].upper())  # part of the entry, in other case
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert picker.over() == last and picker.currentText() == f"{last}: {names[last]}"
    assert finished == []
    assert not picker.hasFocus()  # the keys are the image's again
    picker.setFocus()
    picker.lineEdit().selectAll()
    QTest.keyClicks(picker.lineEdit(), "no such class")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert picker.over() == last and picker.currentText() == f"{last}: {names[last]}"  # kept, shown again


def test_labels_a_folder_run_saved_are_not_read_out_as_a_model_run(qtbot, window, tmp_path):
    """After Label Folder the status bar read 'official 0 ms  device: saved labels (fp32)'."""
    from app.gui.batch import BatchOptions
    from tests.gui.batch_fixtures import make_folder, start_and_wait

    folder = make_folder(tmp_path, 3)
    start_and_wait(qtbot, window, BatchOptions(folder, tmp_path / "labels"))
    window.folder.tree.setCurrentItem(window.folder._items[str(folder / "img01.png")])  # noqa: SLF001 - a click
    qtbot.waitUntil(lambda: window.viewer.shown_path == folder / "img01.png", timeout=RESULT_TIMEOUT_MS)
    assert window.viewer.shown.result.device == "saved labels"
    assert window.readout.timing.text() == ""
    assert window.readout.device.text() == "device: saved labels"


def test_open_recent_tells_entries_of_the_same_name_apart(qtbot, window, tmp_path):
    """A copy of a folder to work on: Open Recent listed 'photos' twice, the paths never shown."""
    for root in ("original", "copy"):
        (tmp_path / root / "photos").mkdir(parents=True)
        window.settings.add_recent("folders", tmp_path / root / "photos")
    window.settings.add_recent("folders", tmp_path / "other")
    window.fill_recent_menu()
    menu = window.actions_.recent_menu
    assert menu.toolTipsVisible()
    texts = [a.text() for a in menu.actions() if a.text() not in ("Folders", "", "Clear Recent")]
    assert len(set(texts)) == 3
    assert f"photos  \u2014  {tmp_path / 'copy'}" in texts and "other" in texts


def test_the_title_shows_a_star_while_edits_are_unsaved(qtbot, editing):  # noqa: F811
    """Nothing on screen said an image had unsaved edits until leaving it asked."""
    from tests.gui.editor_fixtures import drag

    win, _item, _out = editing
    assert not win.isWindowModified() and win.windowTitle().endswith("[*]")
    QTest.keyClick(win, Qt.Key.Key_E)  # the eraser: ignore (255) changes any class
    drag(win, [(20.5, 20.5), (60.5, 20.5)])
    qtbot.waitUntil(lambda: win.editor.session is not None and win.editor.session.doc.dirty, timeout=RESULT_TIMEOUT_MS)
    assert win.isWindowModified()
    win.editor.discard()  # Edit > Revert to Saved
    assert not win.isWindowModified()


def test_the_readme_key_table_names_every_view_key(window):
    """README's table had no S (side by side) or C (confidence), and '100%' with no key (1)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## The desktop app", 1)[1].split("## Command line", 1)[0]
    keys = set()
    for row in table.splitlines():
        cells = row.split(" | ")
        if row.startswith("| ") and len(cells) == 2:
            for token in re.split(r",\s*|\s+and\s+|\s+or\s+|\s+/\s+", cells[1].rstrip(" |")):
                keys.add(token.split(" ")[0])
    actions = window.actions_
    for action in (actions.fit, actions.actual, actions.zoom_in, actions.zoom_out, actions.side_by_side,
                   actions.confidence, actions.toggle_overlay, actions.opacity_down, actions.opacity_up,
                   actions.previous, actions.next):
        assert action.shortcut().toString() in keys, action.text()
