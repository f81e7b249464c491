"""Small problems a hands-on walk through the window found (folder list, editor boxes,
read-out, export dialog, Open Recent), each checked where a daily user met it."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QHeaderView, QTreeWidgetItem

from app.gui.docks.folder_widgets import image_tree
from app.gui.docks.name_delegate import LINE_SEPARATOR, start_and_end


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
