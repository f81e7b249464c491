"""File names beside their thumbnails in the folder list: whole on two lines when they fit.

Broken after ``_ - .`` and spaces; names too long for two lines stay on one, cut in the
middle (the list's elide mode), where names of one folder differ least
(``IMG_2024...0815.jpg``).
"""

from __future__ import annotations

import re
from typing import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

BREAKS = re.compile(r"([_\-.\s])")  # where a file name may wrap onto the second line
ZERO_WIDTH_SPACE = "\u200b"


def lines_needed(pieces: list[str], width: Callable[[str], int], room: int) -> int:
    """Lines a greedy wrap of ``pieces`` (kept whole, each break after a separator) takes in
    ``room`` pixels; a large number when one piece alone is wider."""
    lines, line = 1, ""
    for piece in pieces:
        if BREAKS.fullmatch(piece):
            line += piece  # a separator stays at the end of its line
            continue
        candidate = line + piece
        if width(candidate) <= room:
            line = candidate
        elif width(piece) > room:
            return 1_000
        else:
            lines, line = lines + 1, piece
    return lines


class NameDelegate(QStyledItemDelegate):
    """Two lines, broken after a separator, when that shows the whole name; else one."""

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        size.setHeight(max(size.height(), 2 * option.fontMetrics.lineSpacing() + 4))  # room for two lines
        return size

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        room = option.rect.width() - option.decorationSize.width() - 14  # icon and margins
        pieces = [piece for piece in BREAKS.split(option.text) if piece]
        two_lines_fit = option.rect.height() >= 2 * option.fontMetrics.lineSpacing()
        if room > 0 and two_lines_fit and lines_needed(pieces, option.fontMetrics.horizontalAdvance, room) == 2:
            option.text = BREAKS.sub(r"\1" + ZERO_WIDTH_SPACE, option.text)  # display only
            option.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
