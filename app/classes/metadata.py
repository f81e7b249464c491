"""Class names and colours: the datasets the published models were trained on.

A checkpoint's classes are found, in order of trust: a JSON card beside the file,
the checkpoint's own meta (mmsegmentation stores CLASSES/PALETTE), the class
count of a known dataset, and finally generic names with a generated palette.
"""

from __future__ import annotations

import colorsys
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from app.paths import RESOURCES

CLASS_FILES = RESOURCES / "classes"
KNOWN_DATASETS = ("ade20k", "voc2012", "cityscapes", "camvid")


@dataclass(frozen=True)
class ClassInfo:
    """Names and RGB colours in output order, plus where they came from."""

    names: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...]
    dataset: str = "custom"  # a KNOWN_DATASETS key, "custom", or "generic"
    title: str = ""
    ignore_index: int = 255

    def __post_init__(self) -> None:
        if len(self.names) != len(self.colors):
            raise ValueError(f"{len(self.names)} class names but {len(self.colors)} colours")

    def __len__(self) -> int:
        return len(self.names)

    @property
    def palette(self) -> np.ndarray:
        """(C, 3) uint8 array of class colours."""
        return np.asarray(self.colors, dtype=np.uint8).reshape(-1, 3)

    def describe(self) -> str:
        label = self.title or self.dataset
        return f"{label} ({len(self)} classes)"

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "title": self.title, "ignore_index": self.ignore_index,
                "classes": [{"name": n, "color": list(c)} for n, c in zip(self.names, self.colors)]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ClassInfo":
        entries = data["classes"]
        names = tuple(str(e["name"]) for e in entries)
        colors = tuple(_rgb(e["color"]) for e in entries)
        return cls(names, colors, str(data.get("dataset", "custom")), str(data.get("title", "")),
                   int(data.get("ignore_index", 255)))

    @classmethod
    def from_lists(cls, names: Sequence[str], colors: Sequence[Sequence[int]] | None,
                   dataset: str = "custom", title: str = "") -> "ClassInfo":
        if colors is None:
            colors = generate_palette(len(names)).tolist()
        cols = tuple(_rgb(c) for c in colors)
        return cls(tuple(str(n) for n in names), cols, dataset, title)


def _rgb(value: Sequence[int]) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in value)
    if not all(0 <= v <= 255 for v in (r, g, b)):
        raise ValueError(f"colour {value!r} is outside 0-255")
    return (r, g, b)


@lru_cache(maxsize=None)
def dataset_classes(name: str) -> ClassInfo:
    """The built-in metadata of a known dataset (names and colours as published)."""
    if name not in KNOWN_DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(KNOWN_DATASETS)}")
    return ClassInfo.from_dict(json.loads((CLASS_FILES / f"{name}.json").read_text(encoding="utf-8")))


def classes_for_count(count: int) -> ClassInfo:
    """The known dataset with this many classes, else generic names and colours."""
    for name in KNOWN_DATASETS:
        info = dataset_classes(name)
        if len(info) == count:
            return info
    return generic_classes(count)


def generic_classes(count: int) -> ClassInfo:
    names = tuple(f"class {i}" for i in range(count))
    return ClassInfo(names, tuple(map(tuple, generate_palette(count).tolist())), "generic",
                     f"Generic ({count} classes)")


def generate_palette(count: int) -> np.ndarray:
    """Distinct colours by golden-ratio hue steps, with alternating lightness.

    Deterministic, so the same class count always gets the same colours.
    """
    out = np.zeros((count, 3), dtype=np.uint8)
    for i in range(count):
        hue = (i * 0.618033988749895) % 1.0
        light = (0.45, 0.6, 0.35)[i % 3]
        sat = (0.75, 0.9, 0.6)[(i // 3) % 3]
        out[i] = [round(v * 255) for v in colorsys.hls_to_rgb(hue, light, sat)]
    return out
