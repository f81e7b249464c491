"""What the window keeps alive: one model card dialog, one batch run, no stale listeners,
and the network never sent to the GUI thread."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import shiboken6
import torch
from PIL import Image
from PySide6.QtCore import SIGNAL, QCoreApplication, QEvent

from app.checkpoints.meta import LoadedModel
from app.engine.batch import FileRecord
from app.gui.batch import BatchOptions
from app.gui.batch.controller import BatchRun
from app.gui.batch.summary import BatchSummaryDialog
from app.gui.dialogs import ModelCardDialog
from app.gui.docks import ItemStatus
from app.gui.worker_bridge import _WorkerBridge
from tests.gui.conftest import RESULT_TIMEOUT_MS, scene

JOB_FINISHED = SIGNAL("jobFinished(int,PyObject)")


def deleted_later() -> None:
    """Run the deleteLater() calls now, as the event loop would."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def one_image_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir()
    Image.fromarray(scene(len(name))).save(folder / "img.png")
    return folder


def run_to_the_end(qtbot, window, folder: Path, out: Path) -> BatchRun:
    assert window.batch.start(BatchOptions(folder, out, formats=("label",)))
    run = window.batch.run
    with qtbot.waitSignal(run.finished, timeout=RESULT_TIMEOUT_MS):
        pass
    return run


def test_ctrl_i_reuses_one_model_card_and_a_new_model_replaces_it(qtbot, window):
    for _ in range(4):
        window.actions_.model_card.trigger()
        deleted_later()
    cards = window.findChildren(ModelCardDialog)
    assert len(cards) == 1 and cards[0].isVisible() and cards[0].info is window.viewer.model
    first = cards[0]
    first.close()
    window.actions_.model_card.trigger()  # a closed card comes back, not a second one
    assert window.findChildren(ModelCardDialog) == [first] and first.isVisible()

    with qtbot.waitSignal(window.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        window.set_precision("fp32")  # the same weights prepared again: a new ModelInfo
    window.actions_.model_card.trigger()
    deleted_later()
    cards = window.findChildren(ModelCardDialog)
    assert len(cards) == 1 and cards[0] is not first and cards[0].info is window.viewer.model
    assert not shiboken6.isValid(first)  # closed and deleted, not only hidden


def test_each_batch_run_lets_go_of_the_worker_and_the_next_run_deletes_it(qtbot, window, tmp_path):
    listeners = window.worker.receivers(JOB_FINISHED)  # the inspector's bridge
    bridges = len(window.findChildren(_WorkerBridge))
    runs = []
    for i in range(3):
        runs.append(run_to_the_end(qtbot, window, one_image_folder(tmp_path, f"photos{i}"), tmp_path / f"out{i}"))
        deleted_later()
        assert window.worker.receivers(JOB_FINISHED) == listeners  # the finished run's bridge is gone
        assert len(window.findChildren(_WorkerBridge)) == bridges
        assert window.batch.findChildren(BatchRun) == [runs[-1]]  # only the last run is kept
        assert window.findChildren(BatchSummaryDialog) == []  # the summary is the dock's: no dialog kept
    assert runs[-1].report.count("ok") == 1
    assert [shiboken6.isValid(r) for r in runs] == [False, False, True]


def test_the_label_folder_dialog_is_deleted_once_answered(qtbot, window, monkeypatch):
    from app.gui.batch import BatchDialog

    monkeypatch.setattr(BatchDialog, "exec", lambda self: BatchDialog.DialogCode.Rejected)
    for _ in range(3):
        window.batch.open_dialog()
    deleted_later()
    assert window.findChildren(BatchDialog) == []


def test_signals_of_a_finished_run_no_longer_reach_the_window(qtbot, window, tmp_path):
    folder = one_image_folder(tmp_path, "photos")
    run = run_to_the_end(qtbot, window, folder, tmp_path / "labels")
    image = folder / "img.png"
    assert window.folder.status(image) == ItemStatus.DONE
    summary = window.batch.dock.summary_text.text()
    summaries = len(window.findChildren(BatchSummaryDialog))

    run.fileStarted.emit(image)
    run.fileFinished.emit(0, FileRecord(str(image), "failed", error="a stale record"))
    run.finished.emit(run.report)
    assert window.folder.status(image) == ItemStatus.DONE
    assert window.batch.dock.summary_text.text() == summary and len(window.findChildren(BatchSummaryDialog)) == summaries
    assert "a stale record" not in "\n".join(window.batch.dock.failures.lines())


def _holds_network(value, depth: int = 3) -> bool:
    if isinstance(value, (torch.nn.Module, LoadedModel)):
        return True
    if depth == 0 or isinstance(value, (str, bytes, int, float, torch.Tensor)) or value is None:
        return False
    if isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, (list, tuple, set)):
        children = list(value)
    elif dataclasses.is_dataclass(value):
        children = [getattr(value, f.name) for f in dataclasses.fields(value)]
    else:
        children = list(getattr(value, "__dict__", {}).values())
    return any(_holds_network(child, depth - 1) for child in children)


def test_no_network_is_sent_to_the_gui_thread(qtbot, window, tmp_path):
    """Batch, inspector and viewer work all run; nothing the worker sends holds the model."""
    sent: list = []
    window.worker.jobFinished.connect(lambda _id, value: sent.append(value))
    window.worker.resultReady.connect(lambda _id, outcome: sent.append(outcome))
    window.worker.modelReady.connect(sent.append)

    run_to_the_end(qtbot, window, one_image_folder(tmp_path, "photos"), tmp_path / "labels")
    window.inspector.action.trigger()
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.open_path(tmp_path / "photos" / "img.png")
    dock = window.inspector.dock
    qtbot.waitUntil(lambda: dock.acts is not None, timeout=RESULT_TIMEOUT_MS)
    dock.show_pixel(10, 10)
    qtbot.waitUntil(lambda: dock.contrib_tab.attribution is not None, timeout=RESULT_TIMEOUT_MS)
    infos_before = sum(type(value).__name__ == "ModelInfo" for value in sent)
    with qtbot.waitSignal(window.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        window.set_precision("fp32")
    # the lambdas above run in the worker thread, after Qt has posted the window's own slot:
    # the viewer can say modelChanged before the ModelInfo is in ``sent``
    qtbot.waitUntil(lambda: sum(type(value).__name__ == "ModelInfo" for value in sent) > infos_before,
                    timeout=RESULT_TIMEOUT_MS)

    kinds = {type(value).__name__ for value in sent}
    assert {"BatchLedger", "FileRecord", "SegmentOutcome", "ModelInfo"} <= kinds, kinds
    assert not [value for value in sent if _holds_network(value)]
    assert window.viewer.model.align_corners == window.worker._segmenter.loaded.model.cfg.align_corners


def test_after_a_model_change_the_inspector_works_on_the_new_models_capture(qtbot, window, tmp_path, tiny_config):
    from app.checkpoints.meta import ModelMeta
    from app.classes import generic_classes
    from app.model import build_pspnet

    path = tmp_path / "scene.png"
    Image.fromarray(scene(4)).save(path)
    window.inspector.action.trigger()
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.open_path(path)
    dock = window.inspector.dock
    qtbot.waitUntil(lambda: dock.acts is not None, timeout=RESULT_TIMEOUT_MS)

    torch.manual_seed(7)
    other = LoadedModel(build_pspnet(tiny_config), ModelMeta("native", tiny_config,
                                                             generic_classes(tiny_config.num_classes), name="other"))
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):  # the image runs again
        window.worker.set_model(other)
    qtbot.waitUntil(lambda: dock._meta is other.meta and dock.acts is not None, timeout=RESULT_TIMEOUT_MS)
    dock.show_pixel(12, 9)
    qtbot.waitUntil(lambda: dock.contrib_tab.attribution is not None, timeout=RESULT_TIMEOUT_MS)
    assert "other" in dock.header.text()
