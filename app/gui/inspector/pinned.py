"""A pinned image's map beside the current one: the same branch, view, channel and colour scale.

"Pin" keeps the current capture (its activations and photo) when the viewer moves to
another image, so two images' branch maps can be compared side by side, e.g. the
harbour and the street scene where the global branch decides water vs road. The Maps
tab draws the pinned capture's map for its own selection and gives both panes one set
of levels (from both maps' values) and one lookup table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.gui.jobs import Submit
from app.gui.inspector.map_view import MapView

if TYPE_CHECKING:
    from app.engine.ppm_analysis import PPMActivations

Selection = tuple[int, str, str, int]  # source, view, reduction, channel (MapsTab.selection)


class PinnedMap(QWidget):
    def __init__(self, background: Submit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._background = background
        self.acts: PPMActivations | None = None
        self._pending: tuple | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.view = MapView(histogram=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        self.hide()

    def pin(self, acts: PPMActivations, photo: np.ndarray, title: str) -> None:
        self.acts, self._pending = acts, None
        self.view.clear()
        self.view.set_photo(photo)
        self.title.setText(f"<b>Pinned:</b> {title}")
        self.show()

    def unpin(self) -> None:
        self.acts, self._pending = None, None
        self.view.clear()
        self.hide()

    def mismatch(self, current: PPMActivations | None) -> str | None:
        """Why the pinned capture cannot be shown beside ``current`` (None: it can)."""
        if self.acts is None or current is None:
            return None
        same = self.acts.names == current.names and all(
            self.acts.channel_count(i) == current.channel_count(i) for i in range(len(current.names)))
        return None if same else "made by another model (other branches or channel counts): not comparable"

    def values_for(self, selection: Selection, when_ready: Callable[[], None]) -> np.ndarray | None:
        """The pinned map for ``selection``; None while a reduction is computed (then ``when_ready``)."""
        acts = self.acts
        if acts is None:
            return None
        source, view, kind, channel = selection
        if acts.is_ready(source, view, kind):
            return acts.reduce(source, view, kind, channel)
        key = (id(acts), source, view, kind)
        if self._pending != key:
            self._pending = key

            def done(_value: object) -> None:
                if self._pending == key:
                    self._pending = None
                    when_ready()

            self._background(lambda _ctx: acts.reduce(source, view, kind), done, self._failed)
        return None

    def show_values(self, values: np.ndarray | None, levels: tuple[float, float], lut: np.ndarray,
                    note: str = "") -> None:
        """Draw the pinned map with the current map's levels and lookup table (one colour scale)."""
        if self.acts is None:
            return
        if values is None:
            self.view.set_map(None, (0, 0, 1, 1))
        else:
            self.view.image.setLookupTable(lut if values.ndim == 2 else None)
            self.view.set_map(values, self.acts.geometry.feature_rect(), levels if values.ndim == 2 else None)
        text = self.title.text().split("<br>")[0]
        self.title.setText(text + (f"<br>{note}" if note else ""))

    def set_levels(self, levels: tuple[float, float]) -> None:
        if self.acts is not None and self.view.values is not None and self.view.values.ndim == 2:
            self.view.image.setLevels(levels)

    def levels(self) -> tuple[float, float]:
        return self.view.levels()

    def _failed(self, message: str) -> None:
        self._pending = None
        self.show_values(None, (0.0, 1.0), np.zeros((2, 3), np.uint8), f"Could not compute this map: {message}")
