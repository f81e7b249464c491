"""What the Maps tab may send to the main view: the map shown, coloured, over the photo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.engine.ppm_export import colorize


@dataclass
class MapOverlay:
    """What the main view may draw over the photo: RGBA at the map's resolution, stretched to ``rect``."""

    rgba: np.ndarray  # (h, w, 4) uint8, alpha = the chosen opacity
    rect: tuple[float, float, float, float]  # x, y, width, height in photo pixels


def make_overlay(values: np.ndarray, levels: tuple[float, float], lookup_table: np.ndarray,
                 opacity_percent: int, rect: tuple[float, float, float, float]) -> MapOverlay:
    """``values`` coloured as the map view draws them, with the view's opacity as alpha."""
    rgb = colorize(values, levels, lookup_table)
    alpha = np.full(rgb.shape[:2] + (1,), round(opacity_percent * 2.55), dtype=np.uint8)
    return MapOverlay(np.concatenate([rgb, alpha], axis=2), rect)
