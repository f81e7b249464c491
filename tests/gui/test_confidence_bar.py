"""The confidence view's colour bar: shown with the view, in the view's own colours."""

from __future__ import annotations

import numpy as np


def test_bar_follows_the_confidence_view_and_draws_its_colours(qtbot, window):
    from app.gui.view_pane import confidence_lut

    bar = window.confidence_bar
    assert not bar.isVisible()
    window.actions_.confidence.trigger()  # View > Confidence Map (C)
    qtbot.waitUntil(bar.isVisible, timeout=2000)
    window.set_overlay_mode("hidden")  # nothing is coloured: no bar
    assert not bar.isVisible()
    window.set_overlay_mode("fill")
    assert bar.isVisible()

    image = bar.grab().toImage()
    ratio = image.devicePixelRatio()
    rect = bar.bar_rect()
    y = int((rect.top() + rect.height() / 2) * ratio)
    lut = confidence_lut()
    for value in (0.02, 0.5, 0.98):
        colour = image.pixelColor(int(bar.tick_x(value) * ratio), y)
        expected = lut[int(round(value * (len(lut) - 1)))]
        assert np.abs(np.array([colour.red(), colour.green(), colour.blue()]) - expected).max() <= 12, value
    assert bar.tick_x(0.0) < bar.tick_x(0.5) < bar.tick_x(1.0) <= bar.width()

    window.actions_.confidence.trigger()
    assert not bar.isVisible()
