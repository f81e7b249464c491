"""State that never lies: what the window says matches what it holds and shows.

The model chip names the loaded model, its training data and classes; a refused file
leaves the old model named; published models download (from a server on 127.0.0.1
started here, never the network) and load.
"""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import RESULT_TIMEOUT_MS, open_and_wait
from tests.local_http import LocalServer, Route


def load_and_wait(qtbot, win, path):
    with qtbot.waitSignal(win.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS) as blocker:
        win.load_weights(path)
    return blocker.args[0]


@pytest.fixture
def voc_sized_weights(tmp_path, tiny_config):
    """A tiny model with 21 outputs saved as mmsegmentation saves it (read as VOC 2012)."""
    import torch

    from app.model import build_pspnet
    from tests.unit.tiny_layouts import write_mmseg

    torch.manual_seed(1)
    model = build_pspnet(dataclasses.replace(tiny_config, num_classes=21))
    (tmp_path / "source").mkdir()
    return write_mmseg(tmp_path / "source" / "voc.pth", model)


# --- the model chip -------------------------------------------------------------------------
def test_chip_names_model_training_data_and_classes(qtbot, window, image_folder):
    chip = window.model_status.chip
    assert chip.text().startswith("⚠ Model: tiny test model - trained on unknown data, 5 classes")
    assert "class 0, class 1, class 2, class 3, class 4" in chip.toolTip()
    assert "does not name its classes" in chip.toolTip()
    assert chip in window.statusBar().findChildren(type(chip))
    window.statusBar().showMessage("a passing message")
    assert chip.isVisible(), "a permanent widget: passing messages do not cover it"
    from app.gui.dialogs import ModelCardDialog

    chip.click()
    cards = [d for d in window.findChildren(ModelCardDialog) if d.isVisible()]
    assert len(cards) == 1 and cards[0].windowTitle() == "Model Card: tiny test model"
    cards[0].close()


def test_a_long_chip_drops_the_training_data_and_leaves_room_for_messages(qtbot, window):
    from app.checkpoints.provenance import Provenance
    from app.gui.model_status import CHIP_MAX_PX

    status = window.model_status
    status.provenance = Provenance("PSPNet Studio scenes (resnet18, width 16)", "PSPNet Studio generated scenes",
                                   tuple(f"c{i}" for i in range(12)), False, True)
    status._show()
    chip = status.chip
    assert chip.text() == "⚠ Model: PSPNet Studio scenes (resnet18, width 16) - 12 classes"
    assert chip.fontMetrics().horizontalAdvance(chip.text()) <= CHIP_MAX_PX
    assert "Trained on PSPNet Studio generated scenes, 12 classes." in chip.toolTip()  # its capitals kept


def test_model_of_generated_scenes_cautions_once_on_a_photo(qtbot, window, image_folder, tiny_loaded):
    from app.classes import ClassInfo

    names = ("sky", "water", "road", "car", "boat")
    tiny_loaded.meta.classes = ClassInfo.from_lists(names, None, "custom", "PSPNet Studio generated scenes")
    with qtbot.waitSignal(window.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS):
        window.worker.set_model(tiny_loaded)
    chip = window.model_status.chip
    assert "trained on PSPNet Studio generated scenes, 5 classes" in chip.text()
    assert "sky, water, road, car, boat" in chip.toolTip()
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    bar = window.messages
    assert bar.level == "info" and bar.message() == ("This model knows only the 5 classes of PSPNet Studio "
                                                     "generated scenes: other photos still get one of them everywhere.")
    assert bar.action_button.text() == "Get Published Models..."
    bar.dismiss()
    open_and_wait(qtbot, window, image_folder / "scene1.png")
    assert bar.message() == "", "said once per model, not on every image"


def test_benchmark_model_reads_plainly_and_without_caution(qtbot, window, image_folder, voc_sized_weights):
    load_and_wait(qtbot, window, voc_sized_weights)
    chip = window.model_status.chip
    assert chip.text() == "Model: voc.pth - trained on PASCAL VOC 2012, 21 classes"
    assert "aeroplane" in chip.toolTip() and "Get Published" not in chip.toolTip()
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    assert window.messages.message() == ""


def test_refused_weights_keep_naming_the_loaded_model(qtbot, window, image_folder, tmp_path):
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint at all")
    before = window.viewer.model
    with qtbot.waitSignal(window.viewer.modelMissing, timeout=RESULT_TIMEOUT_MS):
        window.load_weights(bad)
    QApplication.processEvents()
    assert window.viewer.model is before
    status = window.statusBar().currentMessage()
    assert "Still using tiny test model" in status and "No model loaded" not in status
    assert "broken.pth" in window.messages.message() and "Still using tiny test model" in window.messages.message()
    assert window.model_status.chip.text().startswith("⚠ Model: tiny test model")
    open_and_wait(qtbot, window, image_folder / "scene1.png")  # and it still segments
    assert window.viewer.shown_path == image_folder / "scene1.png"
    assert "broken.pth" in window.messages.message(), "an error about the weights is not an image's: it stays"


# --- Get Published Models... ------------------------------------------------------------------
def served_model(server, body: bytes, name: str = "voc.pth", key: str = "local-voc"):
    from app.checkpoints.catalogue import PublishedFile, PublishedModel

    server.routes[f"/{name}"] = Route(body, chunk=4096)
    return PublishedModel(key=key, name="Local VOC model", source="test", source_url="https://example.invalid",
                          dataset="voc2012", num_classes=21, backbone="tiny",
                          files=(PublishedFile(name, server.url(f"/{name}"), len(body),
                                               sha256_prefix=hashlib.sha256(body).hexdigest()[:8]),))


def test_menu_offers_the_catalogue(qtbot, window):
    from app.checkpoints.catalogue import CATALOGUE

    link = window.published_models
    assert link.action in window.actions_.menus["model"].actions()
    assert link.action in window.actions_.menus["help"].actions()
    link.action.trigger()
    dialog = link.dialog
    assert dialog.isVisible() and dialog.table.rowCount() == len(CATALOGUE)
    dialog.select("semseg-pspnet50-ade20k")
    assert not dialog.download_button.isEnabled() and dialog.page_button.isEnabled()
    assert "No direct link" in dialog.details.text() and "train_epoch_100.pth" in dialog.details.text()
    opened: list[bool] = []
    window.open_weights_dialog = lambda: opened.append(True)  # the file dialog itself is not shown in tests
    link.dialog = None
    dialog = link.open_dialog()
    dialog.open_button.click()
    assert opened == [True], "Open Weights... for a file already on disk"
    dialog.select("mmseg-pspnet_r50-d8_512x512_20k_voc12aug")
    assert dialog.download_button.isEnabled()
    assert dialog.table.item(dialog.table.currentRow(), 4).text() == "196 MB"
    dialog.close()


def test_download_then_the_model_loads(qtbot, window, tmp_path, voc_sized_weights):
    body = voc_sized_weights.read_bytes()
    with LocalServer() as server:
        model = served_model(server, body)
        dialog = window.published_models.open_dialog([model], tmp_path / "cache")
        with qtbot.waitSignal(window.viewer.modelChanged, timeout=RESULT_TIMEOUT_MS) as loaded:
            dialog.download_button.click()
    target = tmp_path / "cache" / "local-voc" / "voc.pth"
    assert target.read_bytes() == body
    assert sorted(p.name for p in target.parent.iterdir()) == ["voc.pth"]
    assert loaded.args[0].source == str(target)
    assert window.model_status.chip.text().startswith("Model: voc.pth - trained on PASCAL VOC 2012")
    qtbot.waitUntil(lambda: dialog.thread_ is None, timeout=RESULT_TIMEOUT_MS)
    dialog.close()


def test_cancel_keeps_a_resumable_part_a_corrupt_resume_leaves_nothing_model_kept(qtbot, window, tmp_path):
    body = bytes(range(256)) * 2000
    with LocalServer() as server:
        model = served_model(server, body)
        server.routes["/voc.pth"].pause_s = 0.02
        dialog = window.published_models.open_dialog([model], tmp_path / "cache")
        dialog.download_button.click()
        qtbot.waitUntil(lambda: dialog.progress.maximum() == 1000 and dialog.progress.value() > 0,
                        timeout=RESULT_TIMEOUT_MS)
        dialog.cancel_button.click()
        qtbot.waitUntil(lambda: dialog.thread_ is None, timeout=RESULT_TIMEOUT_MS)
        assert dialog.status.text().startswith("Cancelled. The ") and "kept in voc.pth.part" in dialog.status.text()
        folder = tmp_path / "cache" / "local-voc"
        assert sorted(p.name for p in folder.iterdir()) == ["voc.pth.part", "voc.pth.part.json"]
        assert dialog.download_button.text() == "Resume Download" and "are kept" in dialog.details.text()
        server.routes["/voc.pth"] = Route(body[:-1] + b"\x00")  # same size, other bytes
        server.routes["/voc.pth"].pause_s = 0.0
        dialog.download_button.click()
        qtbot.waitUntil(lambda: dialog.thread_ is None, timeout=RESULT_TIMEOUT_MS)
    assert "does not match its published checksum" in dialog.status.text()
    assert list((tmp_path / "cache" / "local-voc").iterdir()) == [], "a resumed file that fails is discarded"
    assert dialog.download_button.text() == "Download and Open"
    assert window.viewer.model.meta.name == "tiny test model"
    dialog.close()


# --- messages, read-out and title follow the image on screen ----------------------------------
def test_error_about_a_bad_file_goes_when_a_good_image_is_shown(qtbot, window, image_folder):
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    window.messages.dismiss()
    with qtbot.waitSignal(window.viewer.message, timeout=RESULT_TIMEOUT_MS):
        window.viewer.open_path(image_folder / "zz_broken.jpg")
    assert window.messages.level == "error" and "zz_broken.jpg" in window.messages.message()
    open_and_wait(qtbot, window, image_folder / "scene1.png")
    assert window.messages.message() == "", "the error about the bad file went with it"


def test_error_that_is_not_about_an_image_stays(qtbot, window, image_folder):
    window.messages.show_message("weights refused", "error")
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    assert window.messages.message() == "weights refused"


def hover(window, x: int, y: int) -> None:
    view = window.view
    view.graphics.scene().sigMouseMoved.emit(view.main_pane.view.mapViewToScene(QPointF(x + 0.5, y + 0.5)))


def expected_readout(item, window, x: int, y: int) -> str:
    name = window.viewer.model.meta.classes.names[int(item.result.labels[y, x])]
    return f"x {x}  y {y}   {name}  {100 * float(item.result.confidence[y, x]):.1f} %"


def test_readout_and_zoom_follow_a_new_image_without_a_mouse_move(qtbot, window, image_folder):
    first = open_and_wait(qtbot, window, image_folder / "scene0.png")
    hover(window, 40, 30)
    assert window.readout.cursor.text() == expected_readout(first, window, 40, 30)
    second = open_and_wait(qtbot, window, image_folder / "scene2.png")  # the pointer stays put
    assert float(first.result.confidence[30, 40]) != float(second.result.confidence[30, 40])
    assert window.readout.cursor.text() == expected_readout(second, window, 40, 30)
    before = window.readout.zoom.text()
    window.view.zoom(2.0)
    assert window.readout.zoom.text() == f"{100 * window.view.pixel_scale():.0f} %" != before
    QApplication.sendEvent(window.view.graphics.viewport(), QEvent(QEvent.Type.Leave))
    assert window.readout.cursor.text() == ""


def test_title_names_the_image_on_screen_while_flicking(qtbot, window, image_folder):
    open_and_wait(qtbot, window, image_folder / "scene0.png")
    assert window.windowTitle().startswith("scene0.png - PSPNet Studio")
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        window.viewer.show(image_folder / "scene1.png")
        window.viewer.show(image_folder / "scene2.png")  # flicked on before scene1 appeared
        assert window.windowTitle().startswith("scene0.png"), "scene0 is still what the view shows"
    assert window.viewer.shown_path == image_folder / "scene2.png"
    assert window.windowTitle().startswith("scene2.png - PSPNet Studio (tiny test model)")
    with qtbot.waitSignal(window.viewer.resultShown, timeout=RESULT_TIMEOUT_MS):
        QTest.keyClick(window, Qt.Key.Key_Left)
    assert window.viewer.shown_path == image_folder / "scene1.png"
    assert window.windowTitle().startswith("scene1.png - ")
    with qtbot.waitSignal(window.viewer.message, timeout=RESULT_TIMEOUT_MS):
        window.viewer.show(image_folder / "zz_broken.jpg")
    assert not window.view.has_image() and window.windowTitle().startswith("zz_broken.jpg - ")


# --- legend: hide and highlight are separate and always visible ---------------------------------
def legend_click(window, index: int, on_checkbox: bool) -> None:
    tree = window.legend.tree
    item = window.legend._item_for(index)
    rect = tree.visualItemRect(item)
    x = rect.left() + 10 if on_checkbox else rect.left() + rect.width() // 2
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, rect.center().y()))


def test_checkbox_hides_and_a_name_click_highlights(varied):
    window, item = varied
    legend, fill = window.legend, window.view.main_pane.fill
    first, second = (int(c) for c in item.result.present_classes()[:2])
    legend_click(window, first, on_checkbox=True)
    assert not legend.visible()[first] and legend.highlight() == -1, "hiding does not highlight"
    assert fill.lut[first, 3] == 0 and fill.lut[second, 3] == 255
    assert "1 class hidden" in legend.state_label.text()
    legend_click(window, second, on_checkbox=False)
    assert legend.highlight() == second and legend.visible()[second]
    from app.viewing.rendering import HIGHLIGHT_DIM_ALPHA

    expected = [255 if c == second else 0 if c == first else HIGHLIGHT_DIM_ALPHA for c in range(5)]
    assert fill.lut[:5, 3].tolist() == expected, "the hidden class stays hidden, the rest are dimmed"
    assert "Highlighted: " + legend._names[second] in legend.state_label.text()
    assert legend.clear_highlight.isVisibleTo(legend) and legend._item_for(second).font(0).bold()
    legend_click(window, second, on_checkbox=False)
    assert legend.highlight() == -1 and not legend.clear_highlight.isVisibleTo(legend)


def test_highlighting_a_hidden_class_shows_it_and_hiding_it_clears_the_highlight(varied):
    window, item = varied
    legend, fill = window.legend, window.view.main_pane.fill
    cls = int(item.result.present_classes()[0])
    legend.set_class_visible(cls, False)
    legend.set_highlight(cls)
    assert legend.visible()[cls] and legend._item_for(cls).checkState(0) == Qt.CheckState.Checked
    assert fill.lut[cls, 3] == 255
    legend.set_class_visible(cls, False)
    assert legend.highlight() == -1 and fill.lut[cls, 3] == 0
    assert fill.lut[:5, 3].tolist() == [0 if c == cls else 255 for c in range(5)], "nothing is left dimmed"


def test_highlight_goes_when_the_next_image_lacks_the_class_and_all_clears_it(varied):
    import numpy as np

    window, item = varied
    legend, fill, viewer = window.legend, window.view.main_pane.fill, window.viewer
    present = [int(c) for c in item.result.present_classes()]
    legend.set_highlight(present[0])
    counts = np.bincount(item.result.labels.ravel(), minlength=5).astype(np.int64)
    legend.show_counts(counts, viewer._palette())  # the same classes again: the highlight stays
    assert legend.highlight() == present[0]
    counts[present[0]] = 0  # the next image has none of it
    legend.show_counts(counts, viewer._palette())
    assert legend.highlight() == -1
    assert (fill.lut[:5, 3] == 255).all(), "the overlay is back at full strength"
    legend.set_highlight(present[-1])
    legend.set_class_visible(present[0], False)
    legend.show_all.click()
    assert legend.highlight() == -1 and legend.visible().all() and (fill.lut[:5, 3] == 255).all()
    assert legend.state_label.text().startswith("All shown")


def test_closing_the_window_stops_a_download_and_leaves_no_finished_file(qtbot, window, tmp_path):
    with LocalServer() as server:
        model = served_model(server, bytes(range(256)) * 4000)
        server.routes["/voc.pth"].pause_s = 0.02
        dialog = window.published_models.open_dialog([model], tmp_path / "cache")
        dialog.download_button.click()
        qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=RESULT_TIMEOUT_MS)
        thread = dialog.thread_
        window.close()
        assert not thread.isRunning()
    kept = sorted(p.name for p in (tmp_path / "cache" / "local-voc").iterdir())
    assert kept == ["voc.pth.part", "voc.pth.part.json"], "no finished file: the part is kept to resume"
