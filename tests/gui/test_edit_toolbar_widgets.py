"""The Edit toolbar's own widgets: the Over box's emphasis and the Size box per tool."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMainWindow

from app.gui.editor.toolbar import TOOLS, EditToolbar

NAMES = ("sky", "water", "person")
PALETTE = np.array([[70, 130, 180], [30, 60, 200], [220, 20, 60]], np.uint8)


@pytest.fixture
def toolbar(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = EditToolbar(window)
    window.addToolBar(bar)
    bar.set_classes(NAMES, PALETTE)
    window.show()
    qtbot.waitExposed(window)
    yield bar  # the window stays alive (in this frame) while the test runs


def test_over_box_shows_its_restriction_bold_but_not_every_entry_of_its_list(qtbot, toolbar):
    over = toolbar.paint_over
    line_edit = over.lineEdit()
    assert not line_edit.font().bold()  # any class: nothing to stand out
    over.set_value(1)  # only over water
    assert over.over() == 1 and line_edit.font().bold()
    over.showPopup()
    qtbot.waitUntil(over.view().isVisible)
    assert not over.view().font().bold()  # the list's entries stay plain (all were bold)
    over.hidePopup()
    over.set_value(-1)
    assert not line_edit.font().bold()


def test_size_box_is_shown_only_for_the_tools_it_applies_to_and_nothing_moves(qtbot, toolbar):
    places = {}
    for name in TOOLS:
        toolbar.set_tool(name)
        qtbot.wait(10)
        shown = toolbar.brush_size.isVisibleTo(toolbar)
        assert shown == (name in ("brush", "eraser")), name
        assert toolbar.size_label.isVisibleTo(toolbar) == shown
        places[name] = toolbar.paint_class.mapTo(toolbar, toolbar.paint_class.rect().topLeft()).x()
    assert len(set(places.values())) == 1, places  # the class box stays where it is
