"""Which class the Contribution tab's bars split, against which, and a split pinned beside them.

Mixed into ``ContributionTab``: the target (default: the class predicted in the
selection), "and not" another class (the difference of the two splits), the Runner-up
and Why-not-runner-up shortcuts, and pinning the bars shown (paler, beside the next
images' splits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.gui.inspector.split_readout import read_split, selection_title

if TYPE_CHECKING:
    from PySide6.QtWidgets import QComboBox, QLabel

    from app.engine.ppm_contrib import ContributionMaps
    from app.engine.ppm_region import RegionSplit
    from app.gui.inspector.split_plot import SplitPlot

NO_CLASS = -1


class SplitTargets:
    """Mixed into ``ContributionTab``: uses its split, maps, class names, combos, plot and readout."""

    if TYPE_CHECKING:  # what this uses of the tab, for the type checker only
        split: RegionSplit | None
        maps: ContributionMaps | None
        class_names: list[str]
        pinned_text: str
        target: QComboBox
        versus: QComboBox
        plot: SplitPlot
        readout: QLabel

    def target_class(self) -> int | None:
        chosen = int(self.target.currentData()) if self.target.count() else NO_CLASS
        if chosen != NO_CLASS:
            return chosen
        if self.split is not None:
            return self.split.predicted
        if self.maps is not None:  # before a selection: the image's most common predicted class
            return int(np.bincount(self.maps.predicted.ravel()).argmax())
        return None

    def versus_class(self) -> int | None:
        chosen = int(self.versus.currentData()) if self.versus.count() else NO_CLASS
        return None if chosen in (NO_CLASS, self.target_class()) else chosen

    def set_target(self, class_index: int | None) -> None:
        self.target.setCurrentIndex(self.target.findData(NO_CLASS if class_index is None else class_index))

    def set_versus(self, class_index: int | None) -> None:
        self.versus.setCurrentIndex(self.versus.findData(NO_CLASS if class_index is None else class_index))

    def _pick_runner_up(self) -> None:
        if self.split is None:
            return
        self.set_versus(None)
        self.set_target(self.split.runner_up(self.split.predicted))

    def _why_not_runner_up(self) -> None:
        if self.split is None:
            return
        self.set_target(None)
        self.set_versus(self.split.runner_up(self.split.predicted))

    def _draw_split(self) -> None:
        split, target = self.split, self.target_class()
        if split is None or target is None:
            return
        pinned = self.pinned_text if self.plot.pinned_heights is not None else None
        shown = read_split(split, target, self.versus_class(), self._name, pinned)
        self.plot.show_split(shown.names, shown.shares, shown.bias, shown.axis_label)
        self.readout.setText(shown.text)

    # --- a pinned split beside the next ones ----------------------------------------------------
    def pin_split(self, title: str) -> bool:
        """Keep the split shown (per pixel) as paler bars beside the next images' splits."""
        if self.split is None or not len(self.plot.heights):
            return False
        from app.engine.ppm_region import describe_region

        target = self.target_class()
        what = "" if target is None else selection_title(target, self.versus_class(), self._name)
        self.plot.pinned_heights = self.plot.heights.copy()
        self.pinned_text = f"{title}, {describe_region(self.split)}, {what}"
        self._draw_split()
        return True

    def unpin_split(self) -> None:
        self.plot.pinned_heights, self.pinned_text = None, ""
        if self.split is None:
            self.plot.clear_split()
        self._draw_split()

    def _name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else f"class {index}"
