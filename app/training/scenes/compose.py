"""Composing a whole scene from its seed: layout first, then back-to-front painting.

Layout (top to bottom): sky with clouds and sometimes a sun; a landmark band standing
on the far shore (mountains at a harbour, buildings in a street); a strip of grass with
trees and people; the flat surface (water or road) with vehicles (boats or cars); now
and then a grassy bank in a near corner. The surface and the vehicles are drawn from
one distribution in both kinds -- often as a mirror image of the sky -- so a network
can only tell water from road, or a boat from a car, by looking at the landmark band,
which is far away from most surface pixels: the global context PSPNet pools.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.training.scenes import classes as C
from app.training.scenes.objects import Canvas, draw_buildings, draw_person, draw_tree, draw_vehicle
from app.training.scenes.shapes import below_line_mask, blob_boxes, ellipses_mask, polygon_mask, ridge_line
from app.training.scenes.textures import (apply_lighting, fractal_noise, jitter_color, streaks,
                                          textured, vertical_gradient)

DEFAULT_SIZE = (448, 160)  # (width, height) of training scenes: a wide view

SKY_MOODS = [  # (zenith, horizon)
    ((0.20, 0.40, 0.80), (0.65, 0.80, 0.95)),
    ((0.45, 0.60, 0.80), (0.80, 0.85, 0.88)),
    ((0.30, 0.25, 0.55), (0.95, 0.60, 0.35)),
    ((0.50, 0.52, 0.56), (0.75, 0.76, 0.78)),
    ((0.10, 0.30, 0.65), (0.55, 0.75, 0.90)),
]


@dataclass
class Scene:
    image: np.ndarray   # (H, W, 3) uint8 RGB
    labels: np.ndarray  # (H, W) uint8 class indices
    kind: str           # C.HARBOUR or C.STREET
    seed: int


def generate_scene(seed: int, size: tuple[int, int] = DEFAULT_SIZE) -> Scene:
    """The scene of ``seed`` at ``size`` = (width, height); the same seed gives the same bytes."""
    width, height = size
    if width < 32 or height < 32:
        raise ValueError(f"scene size {width}x{height} is too small; use at least 32x32")
    rng = np.random.default_rng(seed)
    kind = C.HARBOUR if rng.random() < 0.5 else C.STREET
    canvas = Canvas(height, width)
    shape = canvas.shape
    h, w = shape
    unit = min(w, 1.34 * h)  # reference width for object sizes, whatever the aspect ratio

    shore = h * rng.uniform(0.40, 0.55)           # where the landmarks stand
    surface_top = shore + h * rng.uniform(0.04, 0.10)

    sky = _draw_sky(canvas, rng, shore, unit)
    reflection = sky[np.clip((2 * surface_top - np.arange(h)).astype(int), 0, h - 1)]

    # The landmarks stand at one end of a wide view only, so the far end of the surface is
    # further from them than the backbone's receptive field reaches; the pooled branches
    # still see them.
    landmark_height = h * rng.uniform(0.14, 0.32)
    span = w * rng.uniform(0.2, 0.32)
    x0 = 0.0 if rng.random() < 0.5 else w - span
    if kind == C.HARBOUR:
        _draw_mountains(canvas, rng, shore, landmark_height, sky, x0, span)
    else:
        draw_buildings(canvas, rng, shore + 1, landmark_height, sky, x0, x0 + span, unit)

    grass = jitter_color(rng, (0.35, 0.55, 0.2), 0.07)
    strip = below_line_mask(shape, np.full(w, shore, np.float32), surface_top)
    canvas.paint(strip, textured(rng, shape, grass, 0.3, 6), C.GRASS)

    surface = _surface_field(rng, shape, surface_top, reflection)
    canvas.paint(below_line_mask(shape, np.full(w, surface_top, np.float32), h), surface,
                 C.SURFACE_CLASS[kind])

    # Things on the far strip, back to front.
    strip_h = surface_top - shore
    for _ in range(int(rng.integers(0, 6))):
        draw_tree(canvas, rng, rng.uniform(0, w), shore + rng.uniform(0.3, 0.9) * strip_h,
                  h * rng.uniform(0.12, 0.28))
    for _ in range(int(rng.integers(0, 3))):
        draw_person(canvas, rng, rng.uniform(0.05, 0.95) * w, surface_top - rng.uniform(0, 0.3) * strip_h,
                    h * rng.uniform(0.15, 0.24))

    # Vehicles on the surface, far ones first so near ones occlude them.
    depth = h - surface_top
    bottoms = np.sort(surface_top + depth * rng.uniform(0.25, 0.98, size=int(rng.integers(1, 5))))
    for bottom in bottoms:
        t = (bottom - surface_top) / depth
        vw = unit * rng.uniform(0.13, 0.2) * (0.7 + 0.7 * t)
        draw_vehicle(canvas, rng, rng.uniform(0.1, 0.9) * w, bottom, vw, C.VEHICLE_CLASS[kind], surface)

    if rng.random() < 0.4:
        _draw_bank(canvas, rng, grass, unit)

    image = apply_lighting(rng, canvas.image)
    return Scene((image * 255 + 0.5).astype(np.uint8), canvas.labels, kind, seed)


def _draw_sky(canvas: Canvas, rng: np.random.Generator, shore: float, unit: float) -> np.ndarray:
    """Gradient, sun, clouds; returns the sky layer (used again for reflections)."""
    shape = canvas.shape
    h, w = shape
    zenith, horizon = SKY_MOODS[rng.integers(len(SKY_MOODS))]
    sky = vertical_gradient(shape, jitter_color(rng, zenith, 0.05), jitter_color(rng, horizon, 0.05),
                            0, int(shore))
    sky += 0.03 * fractal_noise(rng, shape, 40)[..., None]
    canvas.paint(np.ones(shape, bool), np.clip(sky, 0, 1), C.SKY)
    if rng.random() < 0.5:
        r = h * rng.uniform(0.05, 0.09)
        sun = ellipses_mask(shape, [(rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.75) * shore, r, r)])
        canvas.paint(sun, jitter_color(rng, (1.0, 0.92, 0.6), 0.04), C.SUN)
    for _ in range(int(rng.integers(0, 5))):
        rx, ry = unit * rng.uniform(0.08, 0.2), h * rng.uniform(0.04, 0.09)
        cloud = ellipses_mask(shape, blob_boxes(rng, rng.uniform(0, w), rng.uniform(0.1, 0.8) * shore,
                                                rx, ry, int(rng.integers(3, 7))))
        white = jitter_color(rng, (0.93, 0.93, 0.95), 0.05) * rng.uniform(0.75, 1.05)
        shade = vertical_gradient(shape, np.clip(white, 0, 1), np.clip(white * 0.8, 0, 1))
        canvas.paint(cloud, np.clip(shade * (1 + 0.08 * fractal_noise(rng, shape, 10)[..., None]), 0, 1),
                     C.CLOUD)
    return canvas.image.copy()


def _draw_mountains(canvas: Canvas, rng: np.random.Generator, shore: float, height: float,
                    sky: np.ndarray, x_start: float, width: float) -> None:
    h, w = canvas.shape
    for layer in range(int(rng.integers(1, 3))):
        span = rng.uniform(0.7, 1.0) * width
        x0 = x_start + rng.uniform(0, width - span)
        line = np.full(w, float(h), np.float32)
        a, b = int(x0), min(w, int(x0 + span))
        line[a:b] = ridge_line(rng, b - a, shore + 1, height * (1.0 - 0.35 * layer))
        mask = below_line_mask(canvas.shape, line, shore + 1)
        rock = jitter_color(rng, [(0.45, 0.42, 0.4), (0.4, 0.33, 0.25), (0.35, 0.4, 0.5),
                                  (0.25, 0.35, 0.25)][rng.integers(4)], 0.05)
        haze = rng.uniform(0.0, 0.35) + 0.15 * layer
        rock = rock * (1 - haze) + sky[int(shore) - 1].mean(0) * haze
        field = textured(rng, canvas.shape, rock.astype(np.float32), 0.35, 8)
        if rng.random() < 0.4:  # snow caps
            snow_depth = height * rng.uniform(0.1, 0.3)
            yy = np.arange(h, dtype=np.float32)[:, None]
            snow = (yy < line[None, :] + snow_depth * (0.6 + 0.4 * fractal_noise(rng, (1, w), 6)))
            field = np.where(snow[..., None], jitter_color(rng, (0.93, 0.94, 0.97), 0.03), field)
        canvas.paint(mask, field, C.MOUNTAIN)


def _surface_field(rng: np.random.Generator, shape: tuple[int, int], top: float,
                   reflection: np.ndarray) -> np.ndarray:
    """Water or road: one appearance model for both (flat tone, often a mirrored sky)."""
    base = jitter_color(rng, [(0.35, 0.38, 0.42), (0.3, 0.33, 0.4), (0.42, 0.42, 0.42),
                              (0.28, 0.32, 0.36)][rng.integers(4)], 0.05)
    field = textured(rng, shape, base, 0.15, 16)
    if rng.random() < 0.6:  # the sky mirrored in it (calm water, or a wet road)
        mix = rng.uniform(0.5, 0.95)
        field = field * (1 - mix) + reflection * rng.uniform(0.6, 0.9) * mix
    field = field * (1 + rng.uniform(0.03, 0.12) * streaks(rng, shape))[..., None]
    return np.clip(field, 0, 1).astype(np.float32)


def _draw_bank(canvas: Canvas, rng: np.random.Generator, grass: np.ndarray, unit: float) -> None:
    """A grassy bank in a near corner, with a tree or a person on it."""
    h, w = canvas.shape
    left = rng.random() < 0.5
    bw, bh = unit * rng.uniform(0.2, 0.4), h * rng.uniform(0.1, 0.22)
    edge = 0 if left else w
    inner = bw if left else w - bw
    pts = [(edge, h - bh), (edge + (inner - edge) * 0.6, h - bh * rng.uniform(0.8, 1.1)), (inner, h), (edge, h)]
    bank = polygon_mask(canvas.shape, pts)
    canvas.paint(bank, textured(rng, canvas.shape, grass * rng.uniform(0.85, 1.1), 0.3, 6), C.GRASS)
    x = (edge + inner) / 2 + rng.uniform(-0.2, 0.2) * bw
    feet = h - bh * rng.uniform(0.3, 0.6)
    if rng.random() < 0.5:
        draw_person(canvas, rng, x, feet, h * rng.uniform(0.25, 0.38))
    else:
        draw_tree(canvas, rng, x, feet, h * rng.uniform(0.3, 0.45))
