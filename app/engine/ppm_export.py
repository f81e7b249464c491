"""Saving what the inspector shows: colour-mapped maps as PNG, raw activations as .npz.

Every write goes to a temporary file in the target's folder and is renamed into
place, so an existing file is either replaced whole or left untouched.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from app.fileio import atomic_write_bytes

if TYPE_CHECKING:  # the inspector's colormaps are imported before torch is loaded
    from app.engine.ppm_geometry import CaptureGeometry
    from app.model.ppm import PPMCapture

# Matplotlib's viridis sampled at 0, 0.1, ..., 1 (perceptually uniform, colour-blind safe).
_VIRIDIS_ANCHORS = np.array([
    (68, 1, 84), (72, 36, 117), (65, 68, 135), (53, 95, 141), (42, 120, 142), (33, 145, 140),
    (34, 168, 132), (68, 191, 112), (122, 209, 81), (189, 223, 38), (253, 231, 37)], dtype=np.float64)


def viridis_lut(size: int = 256) -> np.ndarray:
    """(size, 3) uint8 lookup table approximating viridis."""
    pos = np.linspace(0.0, 1.0, len(_VIRIDIS_ANCHORS))
    t = np.linspace(0.0, 1.0, size)
    lut = np.stack([np.interp(t, pos, _VIRIDIS_ANCHORS[:, c]) for c in range(3)], axis=1)
    return np.round(lut).astype(np.uint8)


def colorize(values: np.ndarray, levels: tuple[float, float], lut: np.ndarray | None = None) -> np.ndarray:
    """(H, W) values -> (H, W, 3) uint8 through a lookup table between ``levels``; RGB 0-1 passes."""
    if values.ndim == 3:
        return np.clip(np.round(values[..., :3] * 255.0), 0, 255).astype(np.uint8)
    lut = viridis_lut() if lut is None else np.asarray(lut)[:, :3].astype(np.uint8)
    lo, hi = float(levels[0]), float(levels[1])
    scale = (len(lut) - 1) / (hi - lo) if hi > lo else 0.0
    index = np.clip(np.nan_to_num((values.astype(np.float64) - lo) * scale), 0, len(lut) - 1)
    return lut[index.astype(np.intp)]


def save_map_png(path: str | Path, values: np.ndarray, levels: tuple[float, float] = (0.0, 1.0),
                 lut: np.ndarray | None = None, min_long_side: int = 512) -> Path:
    """Save a map colour-mapped as PNG, enlarged by a whole factor with crisp cells."""
    rgb = colorize(values, levels, lut)
    factor = max(1, int(np.ceil(min_long_side / max(rgb.shape[:2]))))
    if factor > 1:
        rgb = np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buffer, format="PNG")
    return atomic_write_bytes(path, buffer.getvalue())


def save_activations_npz(path: str | Path, capture: PPMCapture, geometry: CaptureGeometry) -> Path:
    """Save the raw capture: ``features``, ``pooled_i``, ``upsampled_i``, ``bins``, sizes.

    Arrays keep the capture's precision (float16) and drop the batch dimension.
    """
    arrays: dict[str, np.ndarray] = {
        "features": capture.features[0].detach().cpu().numpy(),
        "bins": np.asarray(capture.bins, dtype=np.int32),
        "image_size": np.asarray(geometry.image_size, dtype=np.int32),
        "input_size": np.asarray(geometry.input_size, dtype=np.int32),
        "feature_size": np.asarray(geometry.feature_size, dtype=np.int32),
        "align_corners": np.asarray(geometry.align_corners),
    }
    for i, (pooled, upsampled) in enumerate(zip(capture.pooled, capture.upsampled)):
        arrays[f"pooled_{i}"] = pooled[0].detach().cpu().numpy()
        arrays[f"upsampled_{i}"] = upsampled[0].detach().cpu().numpy()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return atomic_write_bytes(path, buffer.getvalue())
