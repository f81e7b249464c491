"""File names beside their thumbnails in the folder list: whole on two lines when they fit.

Broken after ``_ - .`` and spaces. A name too long for two lines that way still takes both:
its start on the first line, its end on the second, cut in the middle (``scene_2000`` /
``...0003_v1.jpg``): on one line, cut in the middle, the names of one folder all read
``scen....jpg`` once the review column widened.
"""

from __future__ import annotations

import re
from typing import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

BREAKS = re.compile(r"([_\-.\s])")  # where a file name may wrap onto the second line
ZERO_WIDTH_SPACE = "\u200b"
LINE_SEPARATOR = "\u2028"  # a line break inside one item's text


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


def start_and_end(name: str, width: Callable[[str], int], tail: Callable[[str, int], str], room: int) -> str:
    """``name`` on two lines of ``room`` pixels: as much of its start as fits on the first
    (broken after its last separator there, when that keeps most of the line), and its end on
    the second, ``tail(rest, room)`` cutting off the rest's start when it is too wide."""
    fits = 0
    while fits < len(name) and width(name[:fits + 1]) <= room:
        fits += 1
    fits = max(fits, 1)
    separators = [m.end() for m in BREAKS.finditer(name[:fits])]
    if separators and fits < len(name) and width(name[:separators[-1]]) >= room * 0.6:
        fits = separators[-1]
    rest = name[fits:]
    return name[:fits] + LINE_SEPARATOR + (rest if width(rest) <= room else tail(rest, room))


class NameDelegate(QStyledItemDelegate):
    """Two lines, broken after a separator, when that shows the whole name; else the name's
    start and its end, each on a line."""

    def sizeHint(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        size.setHeight(max(size.height(), 2 * option.fontMetrics.lineSpacing() + 4))  # room for two lines
        return size

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 - Qt override
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        room = option.rect.width() - option.decorationSize.width() - 14  # icon and margins
        metrics = option.fontMetrics
        two_lines_fit = option.rect.height() >= 2 * metrics.lineSpacing()
        if room <= 0 or not two_lines_fit or metrics.horizontalAdvance(option.text) <= room:
            return
        pieces = [piece for piece in BREAKS.split(option.text) if piece]
        if lines_needed(pieces, metrics.horizontalAdvance, room) == 2:
            option.text = BREAKS.sub(r"\1" + ZERO_WIDTH_SPACE, option.text)  # display only
        else:  # the names of one folder differ most at their ends: keep both ends
            option.text = start_and_end(option.text, metrics.horizontalAdvance,
                                        lambda rest, w: metrics.elidedText(rest, Qt.TextElideMode.ElideLeft, w),
                                        room)
        option.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
