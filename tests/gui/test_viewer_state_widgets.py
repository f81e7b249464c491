"""The widgets follow the Qt-free viewer state (app.viewing) both ways: a change made on the
model shows in the legend, the overlay and the title; a click in a widget changes the model.
And what the worker prepared is what the view draws."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import open_and_wait


def test_the_legend_is_bound_to_the_viewers_model(varied):
    window, _item = varied
    assert window.legend.model is window.viewer.display is window.viewer.state.display


def test_model_changes_show_in_the_legend_and_the_overlay(varied):
    window, item = varied
    display, legend, fill = window.viewer.display, window.legend, window.view.main_pane.fill
    first, second = (int(c) for c in item.result.present_classes()[:2])
    display.set_visible(first, False)
    assert legend._item_for(first).checkState(0) == Qt.CheckState.Unchecked
    assert fill.lut[first, 3] == 0 and legend.state_label.text() == f"1 class hidden ({legend._names[first]})"
    display.set_highlight(second)
    assert legend._item_for(second).font(0).bold() and legend._item_for(second).isSelected()
    assert legend.clear_highlight.isVisibleTo(legend) and 0 < fill.lut[int(item.result.present_classes()[2]), 3] < 255
    display.set_all(True)
    assert all(row[3] for row in legend.rows()) and not legend._item_for(second).font(0).bold()
    assert (fill.lut[:5, 3] == 255).all() and legend.state_label.text().startswith("All shown")


def test_clicks_in_the_legend_and_on_pixels_change_the_model(varied):
    window, item = varied
    display, tree = window.viewer.display, window.legend.tree
    cls = int(item.result.present_classes()[0])
    rect = tree.visualItemRect(window.legend._item_for(cls))
    clicked: list[int] = []
    window.legend.classClicked.connect(clicked.append)  # the editor's small interface to the legend
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(rect.left() + 10, rect.center().y()))  # the checkbox
    assert not display.is_visible(cls) and display.highlight == -1
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(rect.center().x(), rect.center().y()))  # the name
    assert display.highlight == cls and display.is_visible(cls)
    assert clicked == [cls, cls], "every row click names its class"
    y, x = (int(v[0]) for v in np.nonzero(item.result.labels != cls))
    other = int(item.result.labels[y, x])
    window.view.pixelClicked.emit(x, y)
    assert display.highlight == other and window.legend._item_for(other).font(0).bold()
    window.view.pixelClicked.emit(x, y)
    assert display.highlight == -1


def test_the_highlight_of_a_class_the_next_image_lacks_goes_in_the_legend_too(varied, qtbot, image_folder):
    window, item = varied
    display = window.viewer.display
    missing = next(c for c in range(5) if item.result.class_counts[c] == 0) if (item.result.class_counts == 0).any() \
        else None
    present = int(item.result.present_classes()[0])
    display.set_highlight(present)
    counts = item.result.class_counts.copy()
    counts[present] = 0
    display.show_counts(counts)
    assert display.highlight == -1 and window.legend._item_for(present) is None
    assert not window.legend.clear_highlight.isVisibleTo(window.legend)
    if missing is not None:
        assert window.legend._item_for(missing) is None, "absent classes have no row"


def test_the_view_draws_the_workers_contours_and_an_edit_leaves_the_cached_ones_alone(varied):
    window, item = varied
    pane = window.view.main_pane
    assert item.layers is not None and item.layers.fits(item.result.labels, 5)
    before = item.layers.contours.copy()
    window.set_overlay_mode("contour")
    assert np.shares_memory(pane.contour.image, item.layers.contours), "the worker's array, not one made here"
    labels = pane.labels()
    labels[0:8, 0:8] = (int(labels[0, 0]) + 1) % 5
    pane.update_labels((0, 8, 0, 8))
    pane.finish_contours()
    assert not np.shares_memory(pane.contour.image, item.layers.contours)
    np.testing.assert_array_equal(item.layers.contours, before)


def test_the_photo_is_set_once_per_image_without_levels(qtbot, window, image_folder):
    photo = window.view.main_pane.photo
    sets: list[object] = []
    original = photo.setImage

    def recording(image=None, **kwargs):
        sets.append(image)
        return original(image, **kwargs)

    photo.setImage = recording
    item = open_and_wait(qtbot, window, image_folder / "scene1.png")
    assert len(sets) == 1 and sets[0] is item.image, "not again when its result arrives"
    assert photo.levels is None, "an 8-bit photo is drawn as it is, not rescaled"
