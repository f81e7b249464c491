"""Noise fields, gradients and lighting: the appearance side of the generator.

Everything works on float32 RGB in 0-1 and takes the scene's own ``rng``, so a scene
is a pure function of its seed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def value_noise(rng: np.random.Generator, shape: tuple[int, int], cells: float) -> np.ndarray:
    """Smooth noise in about [-1, 1]: a coarse random grid resized bilinearly."""
    h, w = shape
    gh = max(2, int(round(h / cells)) + 2)
    gw = max(2, int(round(w / cells)) + 2)
    grid = rng.uniform(-1.0, 1.0, size=(gh, gw)).astype(np.float32)
    return np.asarray(Image.fromarray(grid, mode="F").resize((w, h), Image.Resampling.BILINEAR),
                      dtype=np.float32)


def fractal_noise(rng: np.random.Generator, shape: tuple[int, int], cells: float,
                  octaves: int = 3) -> np.ndarray:
    """Octaves of value noise, halving the cell size and the amplitude each time."""
    out = np.zeros(shape, dtype=np.float32)
    amp, total = 1.0, 0.0
    for _ in range(octaves):
        out += amp * value_noise(rng, shape, max(cells, 1.5))
        total += amp
        amp *= 0.5
        cells /= 2.0
    return out / total


def streaks(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Horizontal streaks in about [-1, 1] (ripples on water, tyre marks on asphalt)."""
    h, w = shape
    rows = value_noise(rng, (h, 8), cells=rng.uniform(1.5, 4.0))
    along = value_noise(rng, (h, w), cells=rng.uniform(20, 60))
    return np.repeat(rows[:, :1], w, axis=1) * 0.7 + 0.3 * along * rows[:, 4:5]


def vertical_gradient(shape: tuple[int, int], top: np.ndarray, bottom: np.ndarray,
                      y0: int = 0, y1: int | None = None) -> np.ndarray:
    """(H, W, 3) gradient from ``top`` colour at row y0 to ``bottom`` at row y1."""
    h, w = shape
    y1 = h if y1 is None else y1
    t = np.clip((np.arange(h, dtype=np.float32) - y0) / max(1, y1 - y0), 0.0, 1.0)
    col = top[None, :] * (1 - t[:, None]) + bottom[None, :] * t[:, None]
    return np.repeat(col[:, None, :], w, axis=1).astype(np.float32)


def textured(rng: np.random.Generator, shape: tuple[int, int], base: np.ndarray,
             strength: float, cells: float, octaves: int = 3) -> np.ndarray:
    """A flat colour modulated by fractal noise (brightness and a little hue)."""
    n = fractal_noise(rng, shape, cells, octaves)[..., None]
    tint = rng.normal(0, 0.04, size=3).astype(np.float32)
    return np.clip(base[None, None, :] * (1 + strength * n) + tint * n, 0, 1)


def jitter_color(rng: np.random.Generator, rgb: tuple[float, float, float],
                 amount: float = 0.08) -> np.ndarray:
    return np.clip(np.asarray(rgb, np.float32) + rng.normal(0, amount, 3), 0, 1).astype(np.float32)


def apply_lighting(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Global exposure, colour temperature, a light falloff across the frame, sensor noise."""
    h, w = image.shape[:2]
    exposure = rng.uniform(0.75, 1.2)
    temperature = np.array([1 + rng.uniform(-0.08, 0.08), 1.0, 1 + rng.uniform(-0.08, 0.08)],
                           np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (np.cos(angle) * (xx / w - 0.5) + np.sin(angle) * (yy / h - 0.5))
    falloff = 1 + rng.uniform(0.0, 0.3) * ramp
    out = image * exposure * temperature[None, None, :] * falloff[..., None]
    out = out + rng.normal(0, rng.uniform(0.005, 0.025), size=out.shape).astype(np.float32)
    return np.clip(out, 0, 1)
