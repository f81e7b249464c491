"""The links add to the menus through WindowMenus (app.gui.actions): named menus and places."""

from __future__ import annotations


def texts(menu) -> list[str]:
    return [a.text().replace("&", "") if not a.isSeparator() else "---" for a in menu.actions()]


def test_each_link_puts_its_entries_where_the_window_says(window):
    a = window.actions_
    file_menu = texts(a.menus["file"])
    assert file_menu.index("Open Labels...") + 1 == file_menu.index("Open Recent")
    assert file_menu[-4:] == ["Label Folder\u2026", "Export Dataset\u2026", "---", "Quit"]
    model_menu = texts(a.menus["model"])
    assert model_menu[-2:] == ["Get Published Models...", "Model Card..."]
    assert texts(a.menus["help"])[-1] == "Get Published Models..."
    bar = [m.title().replace("&", "") for m in (x.menu() for x in window.menuBar().actions()) if m is not None]
    assert bar.index("Review") + 1 == bar.index("Help") and a.menus["review"].title() == "&Review"
    assert bar.index("Edit") + 1 == bar.index("View") and a.menus["edit"].title() == "&Edit"
    assert file_menu.index("Save Labels") + 1 == file_menu.index("Export Current")
    assert window.inspector.action in a.menus["view"].actions()
    assert a.device_names() == [x.text() for x in a.device_group.actions()] and "cpu" in a.device_names()


def test_add_to_menu_places_and_names(window):
    a = window.actions_
    first = a.make_action("First", lambda: None, tip="t")
    assert first in window.actions() and first.toolTip() == "t", "a window action: its shortcut works anywhere"
    a.add_to_menu("help", first, before="help:nowhere", name="help:first", separator=True)  # unknown: at the end
    second = a.make_action("Second", lambda: None)
    a.add_to_menu("help", second, after="help:first")
    assert texts(a.menus["help"])[-3:] == ["First", "Second", "---"]
    menu = a.add_menu("tools", "&Tools", before="help")
    assert a.menus["tools"] is menu and window.menuBar().actions().index(menu.menuAction()) + 1 == \
        window.menuBar().actions().index(a.menus["help"].menuAction())
