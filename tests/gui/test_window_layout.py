"""The window's layout: what comes back at a start, and the room each dock gets."""

from __future__ import annotations

from app.gui.inspector_link import KEEP, WIDTH
from tests.gui.conftest import RESULT_TIMEOUT_MS


def _next_session(qtbot):
    """The window of the next start (its layout restored from the settings the last one saved)."""
    from app.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.wait(50)  # Qt finishes laying out the restored docks
    return window


def test_batch_dock_of_the_last_session_does_not_come_back(qtbot):
    from app.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.batch.dock.show()  # as a finished Label Folder run leaves it
    qtbot.waitUntil(first.batch.dock.isVisible)
    first.close()  # saves the window state, the batch dock in it

    second = _next_session(qtbot)
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


def test_window_is_active_with_the_view_focused_after_show(qtbot, window):
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    assert window.focusWidget() is window.view  # the arrow keys and single-key shortcuts work at once


PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.gui.pyside_fixes import protect_singletons_from_refcount_leak
protect_singletons_from_refcount_leak()
import pyqtgraph
app = QApplication([])
from app.gui.main_window import MainWindow
window = MainWindow()
window.show()
QTimer.singleShot(1000, lambda: (print('ACTIVE', window.isActiveWindow()), app.quit()))
app.exec()
"""


def test_window_takes_the_keyboard_on_a_bare_x_server_without_window_manager(tmp_path):
    """No window manager activates it there: without activateWindow() no shortcut worked."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            display = pipe.readline().strip()
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb", PYQTGRAPH_QT_LIB="PySide6",
                   XDG_CONFIG_HOME=str(tmp_path))  # settings of its own
        run = subprocess.run([sys.executable, "-c", PROBE], cwd=Path(__file__).resolve().parents[2], env=env,
                             capture_output=True, text=True, timeout=120)
    finally:
        server.terminate()
        server.wait(10)
    if run.returncode != 0 and "xcb" in run.stderr:
        pytest.skip("Qt's xcb platform plugin cannot load here (missing X libraries)")
    assert "ACTIVE True" in run.stdout, run.stdout + run.stderr


def test_deferred_inspector_comes_after_the_first_paint_where_the_last_session_left_it(qtbot, monkeypatch):
    from PySide6.QtCore import Qt

    from app.gui import window_lifecycle
    from app.gui.main_window import MainWindow

    # only the paint can call back (the fallback timer would too, on a machine slow to paint)
    monkeypatch.setattr(window_lifecycle, "FIRST_PAINT_FALLBACK_MS", 10 * RESULT_TIMEOUT_MS)

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.inspector.action.trigger()
    qtbot.waitUntil(first.inspector.dock.isVisible)
    menus = {name: [a.text() for a in menu.actions()] for name, menu in first.actions_.menus.items()}
    first.close()  # the state says: the inspector open, docked on the right

    second = MainWindow(defer_extras=True)  # as main.py builds it
    qtbot.addWidget(second)
    assert not hasattr(second, "inspector")
    painted: list[bool] = []
    second.after_first_paint(lambda: painted.append(second.isVisible()))
    second.show()
    qtbot.waitUntil(lambda: bool(painted), timeout=RESULT_TIMEOUT_MS)
    assert painted == [True]
    second.start(None, None)
    dock = second.inspector.dock
    qtbot.waitUntil(dock.isVisible)
    assert second.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea and not dock.isFloating()
    assert second.inspector.action in second.actions_.toolbar.actions()
    # Export Dataset and Get Published Models, built later, sit where they always do
    assert {name: [a.text() for a in menu.actions()] for name, menu in second.actions_.menus.items()} == menus
    second.close()


def test_deferred_inspector_stays_closed_when_it_was_closed(qtbot):
    from app.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.batch.dock.show()
    first.close()
    second = MainWindow(defer_extras=True)
    qtbot.addWidget(second)
    second.show()
    second.start(None, None)
    qtbot.wait(100)
    assert not second.inspector.dock.isVisible() and not second.batch.dock.isVisible()
    assert second.folder.isVisible()
    second.close()


def _on_screen(dock) -> bool:
    return dock.isVisible() and not dock.visibleRegion().isEmpty()  # a tab behind another is laid out off screen


def test_threshold_panel_is_a_tab_of_the_legend_and_comes_forward_when_shown(qtbot, window):
    threshold = window.review.threshold_dock
    threshold.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: _on_screen(threshold))
    assert threshold in window.tabifiedDockWidgets(window.legend)
    assert not _on_screen(window.legend)
    window.legend.raise_()
    qtbot.waitUntil(lambda: _on_screen(window.legend))


def test_legend_threshold_and_inspector_share_the_column_with_room_for_each(qtbot, window):
    window.resize(1440, 900)
    qtbot.wait(50)
    threshold = window.review.threshold_dock
    threshold.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: _on_screen(threshold))
    window.inspector.action.trigger()
    dock = window.inspector.dock
    qtbot.waitUntil(lambda: dock.isVisible() and window.inspector._sized, timeout=5000)
    qtbot.wait(50)
    assert threshold.height() >= KEEP - 30  # (less the tab bar) stacked it got ~190 px: two classes of its list
    assert dock.height() >= 0.55 * window.height()  # the inspector's map does not scroll away
    assert dock.scroll_area.verticalScrollBar().maximum() == 0


def test_a_restored_layout_wins_over_the_default_tabs(qtbot):
    from PySide6.QtCore import Qt

    from app.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    threshold = first.review.threshold_dock
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, threshold)  # the user dragged it away
    threshold.show()
    qtbot.waitUntil(threshold.isVisible)
    first.close()

    second = _next_session(qtbot)
    threshold = second.review.threshold_dock
    assert second.dockWidgetArea(threshold) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert threshold not in second.tabifiedDockWidgets(second.legend) and _on_screen(threshold)
    second.close()


def test_a_second_start_restores_the_tabs_without_a_stray_tab_bar(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTabBar

    from app.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.review.threshold_dock.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: _on_screen(first.review.threshold_dock))
    first.close()

    second = _next_session(qtbot)
    threshold = second.review.threshold_dock
    assert threshold in second.tabifiedDockWidgets(second.legend) and _on_screen(threshold)
    bars = [bar for bar in second.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if bar.isVisible()]
    # tabified at start and restored as well, Qt left a 'Legend' tab bar over the menus
    assert len(bars) == 1 and bars[0].y() > second.menuBar().height(), [(b.geometry(), b.count()) for b in bars]
    second.close()
