"""The window's layout: what comes back at a start, and the room each dock gets."""

from __future__ import annotations

from app.gui.inspector_link import KEEP, WIDTH


def test_batch_dock_of_the_last_session_does_not_come_back(qtbot):
    from app.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.batch.dock.show()  # as a finished Label Folder run leaves it
    qtbot.waitUntil(first.batch.dock.isVisible)
    first.close()  # saves the window state, the batch dock in it

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    qtbot.wait(50)
    assert not second.batch.dock.isVisible()
    assert second.folder.isVisible() and second.legend.isVisible()  # the rest of the state is restored
    second.close()


def test_inspector_opening_leaves_the_image_and_the_legend_room(qtbot, window):
    window.resize(1400, 880)
    qtbot.wait(50)
    window.inspector.action.trigger()
    dock = window.inspector.dock
    qtbot.waitUntil(lambda: dock.isVisible() and window.inspector._sized, timeout=5000)
    qtbot.wait(50)
    assert WIDTH[0] <= dock.width() <= WIDTH[1] + 10
    assert window.legend.height() >= KEEP - 10  # the legend lists several classes, not three
    assert dock.height() > window.height() / 2  # the inspector gets most of the column
    assert window.view.width() > 0.3 * window.width()  # and the image keeps a good part of the width
