"""Object outlines as exact boolean masks (no anti-aliasing, so labels match pixels).

Each function returns masks only; colouring happens in ``objects``. Coordinates are
pixels, (x, y) with y growing downwards.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

Shape = tuple[int, int]  # (height, width)


def _canvas(shape: Shape) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("1", (shape[1], shape[0]), 0)
    return img, ImageDraw.Draw(img)


def polygon_mask(shape: Shape, points: Sequence[tuple[float, float]]) -> np.ndarray:
    img, draw = _canvas(shape)
    draw.polygon([(float(x), float(y)) for x, y in points], fill=1)
    return np.array(img, dtype=bool)


def ellipses_mask(shape: Shape, boxes: Sequence[tuple[float, float, float, float]]) -> np.ndarray:
    """Union of ellipses given as (cx, cy, rx, ry)."""
    img, draw = _canvas(shape)
    for cx, cy, rx, ry in boxes:
        rx, ry = max(abs(rx), 0.5), max(abs(ry), 0.5)
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=1)
    return np.array(img, dtype=bool)


def rects_mask(shape: Shape, rects: Sequence[tuple[float, float, float, float]]) -> np.ndarray:
    """Union of axis-aligned rectangles (x0, y0, x1, y1), inclusive of x0/y0."""
    img, draw = _canvas(shape)
    for x0, y0, x1, y1 in rects:
        if x1 - 1 >= x0 and y1 - 1 >= y0:
            draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=1)
    return np.array(img, dtype=bool)


def blob_boxes(rng: np.random.Generator, cx: float, cy: float, rx: float, ry: float,
               count: int) -> list[tuple[float, float, float, float]]:
    """Overlapping ellipses filling roughly an ellipse: clouds and tree crowns."""
    boxes = [(cx, cy, rx * 0.6, ry * 0.7)]
    for _ in range(count):
        a = rng.uniform(0, 2 * np.pi)
        d = rng.uniform(0.2, 0.6)
        boxes.append((cx + np.cos(a) * rx * d, cy + np.sin(a) * ry * d,
                      rx * rng.uniform(0.35, 0.6), ry * rng.uniform(0.4, 0.7)))
    return boxes


def ridge_line(rng: np.random.Generator, width: int, base_y: float, height: float,
               roughness: float = 0.55) -> np.ndarray:
    """Mountain skyline by midpoint displacement: y of the ridge for every column."""
    n = 65
    ys = np.zeros(n, dtype=np.float32)
    ys[0], ys[-1] = rng.uniform(0.0, 0.7), rng.uniform(0.0, 0.7)
    step, amp = n - 1, 1.0
    while step > 1:
        half = step // 2
        for i in range(half, n - 1, step):
            ys[i] = 0.5 * (ys[i - half] + ys[i + half]) + rng.uniform(-amp, amp) * 0.5
        step, amp = half, amp * roughness
    ys = (ys - ys.min()) / max(1e-6, float(ys.max() - ys.min()))
    top = np.interp(np.linspace(0, n - 1, width), np.arange(n), ys)
    return base_y - height * top


def below_line_mask(shape: Shape, line: np.ndarray, bottom: float) -> np.ndarray:
    """Pixels between a per-column top line and a fixed bottom row."""
    yy = np.arange(shape[0], dtype=np.float32)[:, None]
    return (yy >= line[None, :]) & (yy < bottom)


def vehicle_parts(rng: np.random.Generator, shape: Shape, cx: float, bottom: float,
                  width: float) -> dict[str, np.ndarray]:
    """A boat-or-car: the same outline family for both (hull/body, cabin, windows, dots).

    Returned parts: 'body', 'cabin', 'windows', 'dots' (wheel- or porthole-like discs),
    and 'all' (their union, the labelled silhouette).
    """
    h_body = width * rng.uniform(0.22, 0.34)
    x0, x1 = cx - width / 2, cx + width / 2
    top = bottom - h_body
    slant_l = width * rng.uniform(0.0, 0.2)
    slant_r = width * rng.uniform(0.0, 0.2)
    if rng.random() < 0.5:  # slanted at the bottom (hull-like) or at the top (bonnet-like)
        body = [(x0, top), (x1, top), (x1 - slant_r, bottom), (x0 + slant_l, bottom)]
    else:
        body = [(x0 + slant_l, top), (x1 - slant_r, top), (x1, bottom), (x0, bottom)]
    cab_w = width * rng.uniform(0.35, 0.6)
    cab_h = h_body * rng.uniform(0.6, 1.1)
    cab_x = cx + rng.uniform(-0.2, 0.2) * width - cab_w / 2
    lean = cab_w * rng.uniform(0.0, 0.25)
    cabin = [(cab_x + lean, top - cab_h), (cab_x + cab_w - lean * rng.uniform(0, 1), top - cab_h),
             (cab_x + cab_w, top + 1), (cab_x, top + 1)]
    parts = {"body": polygon_mask(shape, body), "cabin": polygon_mask(shape, cabin)}
    n_win = int(rng.integers(1, 4))
    win_w = cab_w * 0.8 / n_win
    wins = [(cab_x + cab_w * 0.1 + i * win_w + 1, top - cab_h * 0.8, cab_x + cab_w * 0.1 + (i + 1) * win_w - 1,
             top - cab_h * 0.25) for i in range(n_win)]
    parts["windows"] = rects_mask(shape, wins) & parts["cabin"]
    r = h_body * rng.uniform(0.18, 0.3)
    dots = [(x0 + width * f, bottom - h_body * rng.uniform(0.3, 0.6), r, r)
            for f in (rng.uniform(0.18, 0.3), rng.uniform(0.7, 0.82))] if rng.random() < 0.5 else []
    parts["dots"] = ellipses_mask(shape, dots) & parts["body"] if dots else np.zeros(shape, bool)
    parts["all"] = parts["body"] | parts["cabin"]
    return parts


def person_parts(rng: np.random.Generator, shape: Shape, cx: float, feet: float,
                 height: float) -> dict[str, np.ndarray]:
    """Head, torso with arms, legs; 'all' is the labelled silhouette."""
    head_r = height * 0.09
    head_cy = feet - height + head_r
    torso_top = head_cy + head_r * 0.9
    hip = feet - height * 0.45
    sw = height * rng.uniform(0.13, 0.17)
    torso = [(cx - sw, torso_top), (cx + sw, torso_top), (cx + sw * 0.8, hip), (cx - sw * 0.8, hip)]
    arm = height * 0.05
    arms = [(cx - sw - arm, torso_top + 1, cx - sw + 1, hip - height * 0.05),
            (cx + sw - 1, torso_top + 1, cx + sw + arm, hip - height * 0.05)]
    stride = height * rng.uniform(0.0, 0.12)
    leg = height * 0.065
    legs = [[(cx - sw * 0.8, hip), (cx - sw * 0.8 + 2 * leg, hip), (cx - stride + leg, feet),
             (cx - stride - leg, feet)],
            [(cx + sw * 0.8 - 2 * leg, hip), (cx + sw * 0.8, hip), (cx + stride + leg, feet),
             (cx + stride - leg, feet)]]
    parts = {
        "head": ellipses_mask(shape, [(cx, head_cy, head_r * 0.85, head_r)]),
        "torso": polygon_mask(shape, torso) | rects_mask(shape, arms),
        "legs": polygon_mask(shape, legs[0]) | polygon_mask(shape, legs[1]),
    }
    parts["all"] = parts["head"] | parts["torso"] | parts["legs"]
    return parts


def tree_parts(rng: np.random.Generator, shape: Shape, cx: float, ground: float,
               height: float) -> dict[str, np.ndarray]:
    """A broadleaf (blob crown) or a conifer (stacked triangles) with its trunk."""
    trunk_w = max(3.0, height * rng.uniform(0.06, 0.1))
    if rng.random() < 0.6:
        crown_h = height * rng.uniform(0.55, 0.75)
        crown_w = crown_h * rng.uniform(0.6, 1.0)
        ccy = ground - height + crown_h / 2
        crown = ellipses_mask(shape, blob_boxes(rng, cx, ccy, crown_w / 2, crown_h / 2,
                                                int(rng.integers(4, 8))))
        trunk_top = ccy
    else:
        crown = np.zeros(shape, bool)
        tiers = int(rng.integers(2, 4))
        top = ground - height
        span = height * 0.8
        for i in range(tiers):
            t0 = top + span * i / (tiers + 1)
            t1 = top + span * (i + 2) / (tiers + 1)
            half = height * rng.uniform(0.18, 0.28) * (i + 2) / (tiers + 1)
            crown |= polygon_mask(shape, [(cx, t0), (cx + half, t1), (cx - half, t1)])
        trunk_top = top + span * 0.8
    trunk = rects_mask(shape, [(cx - trunk_w / 2, trunk_top, cx + trunk_w / 2, ground)])
    return {"crown": crown, "trunk": trunk & ~crown, "all": crown | trunk}
