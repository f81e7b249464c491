"""Model > Protocol offers what the loaded checkpoint offers (as ``main.py info`` lists)."""

from __future__ import annotations

from tests.gui.conftest import RESULT_TIMEOUT_MS


def _load(qtbot, window, loaded, protocols) -> None:
    loaded.meta.protocols = protocols
    with qtbot.waitSignal(window.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        window.worker.set_model(loaded)


def test_protocol_menu_follows_the_checkpoints_protocols(qtbot, window, tiny_loaded):
    from app.checkpoints.protocols import mmseg_protocols, semseg_protocols

    actions = window.actions_.protocol_actions
    assert list(actions) == ["fast", "official", "ms", "slide"]
    # a model without protocols of its own runs the two every model has
    assert [a.isEnabled() for a in actions.values()] == [True, True, False, False]

    _load(qtbot, window, tiny_loaded, mmseg_protocols(5))
    assert all(a.isEnabled() for a in actions.values())
    actions["slide"].trigger()
    assert window.viewer.protocol == "slide" and window.settings.protocol() == "slide"

    _load(qtbot, window, tiny_loaded, semseg_protocols(5))  # semseg has no slide inference
    assert actions["ms"].isEnabled() and not actions["slide"].isEnabled()
    assert window.viewer.protocol == "fast" and actions["fast"].isChecked()
    assert window.settings.protocol() == "fast"


def test_a_protocol_the_model_lacks_is_a_message_not_a_crash(qtbot, window):
    from tests.gui.conftest import scene

    worker = window.worker
    with qtbot.waitSignal(worker.requestFailed, timeout=RESULT_TIMEOUT_MS) as blocker:
        rid = worker.submit_segment(image=scene(0), protocol="slide")
    assert blocker.args[0] == rid
    assert "does not offer the 'slide' protocol; it offers fast, official" in blocker.args[1]
    with qtbot.waitSignal(worker.resultReady, timeout=RESULT_TIMEOUT_MS):  # and it still works
        worker.submit_segment(image=scene(0), protocol="fast")
