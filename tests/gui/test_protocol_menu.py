"""Model > Protocol offers what the loaded checkpoint offers (as ``main.py info`` lists)."""

from __future__ import annotations

from tests.gui.conftest import RESULT_TIMEOUT_MS, worker_signal


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
    with worker_signal(qtbot, worker.requestFailed) as blocker:
        rid = worker.submit_segment(image=scene(0), protocol="slide")
    assert blocker.args[0] == rid
    assert "does not offer the 'slide' protocol; it offers fast, official" in blocker.args[1]
    with worker_signal(qtbot, worker.resultReady):  # and it still works
        worker.submit_segment(image=scene(0), protocol="fast")


def test_the_menu_and_the_batch_dialog_offer_what_the_model_offers(qtbot, window, tiny_loaded):
    """Model > Protocol and Label Folder's protocols are one rule (ModelMeta.offered_protocols):
    for each checkpoint they enable the same protocols, the ones ``protocol()`` accepts."""
    from app.checkpoints.meta import ProtocolSettings
    from app.checkpoints.protocols import mmseg_protocols, semseg_protocols
    from app.gui.actions import PROTOCOL_TITLES

    only_ms = {"ms": ProtocolSettings("ms", base_size=64, crop_size=48, scales=(1.0,), style="semseg")}
    for protocols in ({}, mmseg_protocols(5), semseg_protocols(5), only_ms):
        _load(qtbot, window, tiny_loaded, protocols)
        meta = window.viewer.model.meta
        in_menu = [name for name, action in window.actions_.protocol_actions.items() if action.isEnabled()]
        assert in_menu == window.batch.offered_protocols()
        assert in_menu == [name for name in PROTOCOL_TITLES if name in meta.offered_protocols()]
        assert {"fast", "official"} <= set(in_menu) and ("slide" in in_menu) == ("slide" in protocols)
