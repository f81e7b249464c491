"""What the window opens and how it starts and closes: File > Open Recent (its sections, a
click opens the file, Clear Recent), a drop of weights with an image (the weights load
first), closing refused while the editor or the batch says no, a start without weights,
and the last session's opacity and overlay restored."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from tests.gui.conftest import RESULT_TIMEOUT_MS


def _mime(paths):
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return data


def test_open_recent_lists_opens_and_clears(qtbot, window, image_folder):
    window.fill_recent_menu()
    menu = window.actions_.recent_menu
    texts = [a.text() for a in menu.actions()]
    assert texts == ["(nothing yet)"] and not menu.actions()[0].isEnabled()
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.open_path(image_folder / "scene0.png")
    window.open_path(image_folder)
    window.fill_recent_menu()
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Images", "scene0.png", "Folders", "images", "", "Clear Recent"]
    action = [a for a in menu.actions() if a.text() == "scene0.png"][0]
    assert action.toolTip() == str(image_folder / "scene0.png")
    window.viewer.show(image_folder / "scene1.png")
    action.trigger()
    assert window.viewer.current == image_folder / "scene0.png"
    [a for a in menu.actions() if a.text() == "Clear Recent"][0].trigger()
    window.fill_recent_menu()
    assert [a.text() for a in menu.actions()] == ["(nothing yet)"]


def test_a_drop_loads_the_weights_before_the_image_and_ignores_text(qtbot, window, image_folder, monkeypatch, tmp_path):
    order = []
    monkeypatch.setattr(window.worker, "load_weights", lambda p: order.append(("weights", Path(p).name)))
    monkeypatch.setattr(window.viewer, "open_path", lambda p: order.append(("open", Path(p).name)) or True)
    weights = tmp_path / "m.safetensors"
    weights.write_bytes(b"x")
    mime = _mime([image_folder / "scene1.png", weights])
    enter = QDragEnterEvent(QPointF(5, 5).toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    enter.setAccepted(False)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    assert order == [("weights", "m.safetensors"), ("open", "scene1.png")]
    assert window.settings.recent("weights") == [str(weights)]
    no_urls = QMimeData()
    no_urls.setText("text")
    empty = QDragEnterEvent(QPointF(5, 5).toPoint(), Qt.DropAction.CopyAction, no_urls, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    empty.setAccepted(False)
    window.dragEnterEvent(empty)
    assert not empty.isAccepted()


def test_closing_waits_for_the_editor_and_the_batch_then_saves_the_layout(qtbot, window, monkeypatch):
    monkeypatch.setattr(window.editor, "confirm_leave", lambda: False)
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(window.editor, "confirm_leave", lambda: True)
    monkeypatch.setattr(window.batch, "confirm_close", lambda: False)
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(window.batch, "confirm_close", lambda: True)
    assert window.close()
    assert not window.worker.thread_handle.isRunning()
    assert window.settings.geometry() is not None


def test_a_deferred_start_without_weights_builds_the_extras_and_says_no_model(qtbot, image_folder):
    from app.gui.main_window import MainWindow

    win = MainWindow(defer_extras=True)
    qtbot.addWidget(win)
    assert not hasattr(win, "inspector")
    win.show()
    painted = []
    win.after_first_paint(lambda: painted.append(True))
    qtbot.waitUntil(lambda: painted == [True], timeout=RESULT_TIMEOUT_MS)
    win.start(None, None)
    assert hasattr(win, "inspector") and hasattr(win, "published_models") and hasattr(win, "export_dataset")
    assert win.inspector.action in win.actions_.toolbar.actions()
    assert win.messages.level == "error"
    assert win.statusBar().currentMessage() == "No model loaded: File > Open Weights"
    win.close()


def test_the_next_window_restores_opacity_and_overlay(qtbot, tiny_loaded):
    from app.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    first.step_opacity(-30)
    first.set_overlay_mode("contour")
    first.close()
    second = MainWindow(defer_extras=True)
    qtbot.addWidget(second)
    assert second.actions_.opacity_slider.value() == first.settings.opacity()
    assert second.view.overlay_mode() == "contour"
    assert second.actions_.opacity_label.text().strip().startswith("Opacity")
    assert second.statusBar().currentMessage() == "Starting the inference engine..."
    assert second.lifecycle.restored
    second.close()
