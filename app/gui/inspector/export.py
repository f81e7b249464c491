"""The inspector's two saves: the map shown as PNG, and the capture's activations as .npz.

The map is the current tab's, colour-mapped as drawn (the receptive field tab: the full
network's field); the file name is asked for through the window's SaveLocation when the
dock is hosted (the last folder saved into, else the image's; the image's name). The
engine's ``ppm_export`` writes both, under the project's write policy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from PySide6.QtWidgets import QFileDialog

if TYPE_CHECKING:
    from app.gui.inspector.dock import PPMInspectorDock


class InspectorExport:
    """Saves for one dock; failures and successes are said on the dock's status line."""

    def __init__(self, dock: PPMInspectorDock) -> None:
        self.dock = dock

    def png(self, path: str | Path) -> Path | None:
        """Save the current tab's map as PNG, colour-mapped as shown. None if nothing is shown."""
        dock = self.dock
        tab = dock.tabs.currentWidget()
        from app.engine.ppm_export import save_map_png

        if tab is dock.erf_tab:  # the full network's receptive field, as drawn
            shown = dock.erf_tab.export_map()
            if dock.acts is None or shown is None:
                dock.say("There is no map to save yet.")
                return None
            return self._save(lambda: save_map_png(path, *shown), path)
        view = {dock.maps_tab: dock.maps_tab.map_view, dock.contrib_tab: dock.contrib_tab.map_view,
                dock.ablation_tab: dock.ablation_tab.map_view}[tab]
        values = view.values
        if dock.acts is None or values is None:
            dock.say("There is no map to save yet.")
            return None
        if values.ndim == 3 and values.dtype == np.uint8:
            values = values[..., :3].astype(np.float32) / 255.0
        return self._save(lambda: save_map_png(path, values, view.levels(), view.lookup_table()), path)

    def npz(self, path: str | Path) -> Path | None:
        """Save the raw float16 features, pooled grids and upsampled maps. None if there are none."""
        acts = self.dock.acts
        if acts is None:
            self.dock.say("There are no activations to save.")
            return None
        from app.engine.ppm_export import save_activations_npz

        return self._save(lambda: save_activations_npz(path, acts.capture, acts.geometry), path)

    def ask_png(self) -> None:
        path = self._ask_path("Save map as PNG", "_ppm_map.png", "PNG image (*.png)")
        if path:
            self.png(path if path.lower().endswith(".png") else path + ".png")

    def ask_npz(self) -> None:
        path = self._ask_path("Save activations", "_ppm_activations.npz", "NumPy archive (*.npz)")
        if path:
            self.npz(path if path.lower().endswith(".npz") else path + ".npz")

    def _save(self, write: Callable[[], Path], path: str | Path) -> Path | None:
        try:
            saved = write()
        except (OSError, ValueError) as exc:
            self.dock.say(f"Could not save {path}: {exc}")
            return None
        self.dock.say(f"Saved {saved}")
        return saved

    def _ask_path(self, title: str, suffix: str, file_filter: str) -> str:
        """The chosen path, or '' when cancelled."""
        dock = self.dock
        if dock.save_location is None:
            return QFileDialog.getSaveFileName(dock, title, "pspnet" + suffix, file_filter)[0]
        chosen = dock.save_location.ask(dock, title, suffix, file_filter, fallback_stem="pspnet")
        return str(chosen) if chosen is not None else ""
