"""Painting classes onto a canvas: every stroke sets pixels and their label together."""

from __future__ import annotations

import numpy as np

from app.training.scenes import classes as C
from app.training.scenes.shapes import person_parts, polygon_mask, rects_mask, tree_parts, vehicle_parts
from app.training.scenes.textures import jitter_color, textured


class Canvas:
    """An RGB float image and its label map, painted in back-to-front order."""

    def __init__(self, height: int, width: int) -> None:
        self.shape = (height, width)
        self.image = np.zeros((height, width, 3), np.float32)
        self.labels = np.zeros((height, width), np.uint8)

    def paint(self, mask: np.ndarray, color: np.ndarray, label: int | None) -> None:
        """Fill ``mask`` with a colour (RGB) or an (H, W, 3) field; ``None`` keeps labels."""
        if color.ndim == 1:
            self.image[mask] = color
        else:
            self.image[mask] = color[mask]
        if label is not None:
            self.labels[mask] = label


PERSON_SHIRTS = [(0.8, 0.1, 0.1), (0.1, 0.3, 0.8), (0.9, 0.8, 0.2), (0.2, 0.6, 0.3),
                 (0.9, 0.9, 0.9), (0.15, 0.15, 0.15), (0.9, 0.5, 0.1), (0.6, 0.2, 0.6)]
SKIN = [(0.95, 0.8, 0.65), (0.8, 0.6, 0.45), (0.55, 0.38, 0.25), (0.35, 0.24, 0.16)]
VEHICLE_PAINT = [(0.85, 0.1, 0.1), (0.95, 0.95, 0.95), (0.1, 0.2, 0.6), (0.95, 0.75, 0.1),
                 (0.15, 0.15, 0.15), (0.6, 0.6, 0.65), (0.1, 0.5, 0.3), (0.9, 0.45, 0.1)]


def draw_person(canvas: Canvas, rng: np.random.Generator, cx: float, feet: float,
                height: float) -> None:
    parts = person_parts(rng, canvas.shape, cx, feet, height)
    canvas.paint(parts["legs"], jitter_color(rng, (0.2, 0.2, 0.35), 0.1), C.PERSON)
    shirt = jitter_color(rng, PERSON_SHIRTS[rng.integers(len(PERSON_SHIRTS))], 0.06)
    canvas.paint(parts["torso"], textured(rng, canvas.shape, shirt, 0.25, 6), C.PERSON)
    canvas.paint(parts["head"], jitter_color(rng, SKIN[rng.integers(len(SKIN))], 0.03), C.PERSON)


def draw_tree(canvas: Canvas, rng: np.random.Generator, cx: float, ground: float,
              height: float) -> None:
    parts = tree_parts(rng, canvas.shape, cx, ground, height)
    canvas.paint(parts["trunk"], jitter_color(rng, (0.35, 0.22, 0.12), 0.05), C.TREE)
    leaf = jitter_color(rng, (0.12, 0.38, 0.12), 0.05)
    canvas.paint(parts["crown"], textured(rng, canvas.shape, leaf, 0.6, 4, octaves=2), C.TREE)


def draw_vehicle(canvas: Canvas, rng: np.random.Generator, cx: float, bottom: float,
                 width: float, label: int, surface: np.ndarray) -> None:
    """Boat or car: identical drawing; only ``label`` differs (chosen by the scene kind)."""
    parts = vehicle_parts(rng, canvas.shape, cx, bottom, width)
    # A dark shadow/reflection under it belongs to the surface in both scene kinds.
    h, w = canvas.shape
    shadow = rects_mask(canvas.shape, [(cx - width * 0.5, bottom - 1, cx + width * 0.5,
                                        min(h, bottom + width * 0.06))])
    canvas.paint(shadow & ~parts["all"], surface * 0.55, None)
    paint = jitter_color(rng, VEHICLE_PAINT[rng.integers(len(VEHICLE_PAINT))], 0.05)
    canvas.paint(parts["body"], textured(rng, canvas.shape, paint, 0.15, 10), label)
    cabin = paint * rng.uniform(0.7, 1.1) if rng.random() < 0.5 else jitter_color(rng, (0.9, 0.9, 0.9))
    canvas.paint(parts["cabin"], np.clip(cabin, 0, 1).astype(np.float32), label)
    canvas.paint(parts["windows"], jitter_color(rng, (0.25, 0.35, 0.45), 0.08), label)
    canvas.paint(parts["dots"], jitter_color(rng, (0.1, 0.1, 0.1), 0.03), label)


def draw_buildings(canvas: Canvas, rng: np.random.Generator, base: float, max_height: float,
                   sky: np.ndarray, x_start: float, x_end: float, unit: float) -> None:
    """A row of facades with window grids between x_start and x_end (``unit``: the
    scene's reference width, so facades keep their proportions in wide scenes)."""
    h, w = canvas.shape
    x = x_start
    while x < x_end:
        bw = min(unit * rng.uniform(0.08, 0.22), x_end - x + unit * 0.04)
        bh = max_height * rng.uniform(0.45, 1.0)
        top = base - bh
        facade = jitter_color(rng, [(0.6, 0.3, 0.25), (0.8, 0.75, 0.65), (0.55, 0.55, 0.58),
                                    (0.45, 0.55, 0.7), (0.7, 0.6, 0.45)][rng.integers(5)], 0.06)
        haze = rng.uniform(0.0, 0.3)
        facade = facade * (1 - haze) + sky[int(max(0, min(h - 1, top)))].mean(0) * haze
        body = rects_mask(canvas.shape, [(x, top, x + bw, base)])
        if rng.random() < 0.3:  # a pitched roof
            body |= polygon_mask(canvas.shape, [(x, top), (x + bw / 2, top - bh * 0.2), (x + bw, top)])
        canvas.paint(body, textured(rng, canvas.shape, facade.astype(np.float32), 0.15, 12), C.BUILDING)
        cols, rows = int(rng.integers(2, 6)), int(rng.integers(2, 9))
        gap_x, gap_y = bw / cols, bh / rows
        win = [(x + gap_x * (i + 0.25), top + gap_y * (j + 0.25), x + gap_x * (i + 0.75),
                top + gap_y * (j + 0.7)) for i in range(cols) for j in range(rows)]
        glass = jitter_color(rng, (0.2, 0.25, 0.35) if rng.random() < 0.6 else (0.8, 0.8, 0.6), 0.07)
        canvas.paint(rects_mask(canvas.shape, win) & body, glass, C.BUILDING)
        x += bw * rng.uniform(0.85, 1.3)
