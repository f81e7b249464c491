"""The status bar keeps room for its passing messages: with every read-out and an ONNX
build shown in a 1400 px window, the model chip gives way (elided, its tooltip whole)
instead of the message not being drawn at all; in a wide window the chip is whole."""

from __future__ import annotations

from app.gui.message_room import CHIP_MIN_PX, MESSAGE_MARGINS_PX, TYPICAL_MESSAGE


def message_room_px(window) -> int:
    return window.model_status.chip.x() - MESSAGE_MARGINS_PX


def busy_bar(qtbot, window, width: int) -> None:
    window.resize(width, 860)
    window.graph_builds.label.setText("ONNX graph 1/2: 12 s")
    window.graph_builds.widget.show()
    window.readout.set_cursor(4123, 2331, "vegetation", 0.93)
    window.readout.set_backend("onnx", "torch")
    window.statusBar().showMessage(TYPICAL_MESSAGE, 60000)


def test_a_1400_px_window_draws_a_typical_message_whole(qtbot, window):
    busy_bar(qtbot, window, 1400)
    needed = window.statusBar().fontMetrics().horizontalAdvance(TYPICAL_MESSAGE)
    qtbot.waitUntil(lambda: message_room_px(window) >= needed, timeout=3000)
    chip = window.model_status.chip
    assert CHIP_MIN_PX <= chip.width() < chip.sizeHint().width()  # it gave way, and still reads
    assert window.model_status.provenance.model in chip.toolTip()


def test_a_wide_window_keeps_the_chip_whole(qtbot, window):
    busy_bar(qtbot, window, 2200)
    chip = window.model_status.chip
    qtbot.waitUntil(lambda: chip.width() == chip.sizeHint().width(), timeout=3000)
    assert message_room_px(window) >= window.statusBar().fontMetrics().horizontalAdvance(TYPICAL_MESSAGE)


def test_the_chip_grows_back_when_the_build_ends(qtbot, window):
    busy_bar(qtbot, window, 1400)
    chip = window.model_status.chip
    qtbot.waitUntil(lambda: chip.width() < chip.sizeHint().width(), timeout=3000)
    narrow = chip.width()
    window.graph_builds.widget.hide()
    window.readout.set_backend("torch")
    qtbot.waitUntil(lambda: chip.width() > narrow, timeout=3000)
