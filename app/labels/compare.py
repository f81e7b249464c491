"""How far two label maps of the same image agree (model A's and model B's predictions).

The two models' class lists are matched by name (case and surrounding spaces ignored):
the joint list is A's classes in A's order, then B's classes that A lacks. A class one
model lacks is reported as such (its IoU is not defined). Pixels that either map marks
with the ignore index (255: an erased pixel), or with a value that is no class of its
model, are left out of every figure and counted in ``ignored``.

Everything comes from one joint histogram (the confusion matrix: rows A's class,
columns B's), counted in chunks as ``app.engine.histogram`` does, so a map of any size
needs about 40 MB beside the two maps (and the disagreement map, one byte a pixel, filled
in the same pass when asked for, so the joint indices are worked out once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from app.engine.histogram import CHUNK, class_counts

IGNORE_INDEX = 255
# Pixels per step: each holds about ten int64 temporaries of its size (the two maps' joint
# indices, the pair codes, bincount's copy), so a quarter of the histogram's chunk keeps the
# peak near 40 MB (164 MB with CHUNK, measured on a 6000 x 8000 map).
COMPARE_CHUNK = CHUNK // 4


def _key(name: str) -> str:
    return name.strip().casefold()


@dataclass(frozen=True)
class ClassMatch:
    """The joint class list of two models and where each model's indices land in it."""

    names: tuple[str, ...]
    a_index: tuple[int | None, ...]  # per joint class: its index in A's list, None when A lacks it
    b_index: tuple[int | None, ...]

    def lookup(self, side: str, ignore_index: int = IGNORE_INDEX) -> np.ndarray:
        """(n + 1,) int64: a label value of that model -> its joint index, -1 for the ignore
        index; the last entry (-1) is where values outside the model's classes are sent."""
        own = self.a_index if side == "a" else self.b_index
        count = max((i for i in own if i is not None), default=-1) + 1
        table = np.full(count + 1, -1, np.int64)
        for joint, index in enumerate(own):
            if index is not None:
                table[index] = joint
        if 0 <= ignore_index < count:
            table[ignore_index] = -1
        return table


def match_classes(a_names: Sequence[str], b_names: Sequence[str]) -> ClassMatch:
    """Pair two class lists by name; A's order first, then the classes only B has."""
    b_where: dict[str, int] = {}
    for index, name in enumerate(b_names):
        b_where.setdefault(_key(name), index)
    names: list[str] = []
    a_index: list[int | None] = []
    b_index: list[int | None] = []
    seen: set[str] = set()
    for index, name in enumerate(a_names):
        if _key(name) in seen:  # a repeated name in A: its later copies pair with nothing in B
            names.append(name)
            a_index.append(index)
            b_index.append(None)
            continue
        seen.add(_key(name))
        names.append(name)
        a_index.append(index)
        b_index.append(b_where.get(_key(name)))
    paired = {i for i in b_index if i is not None}
    for index, name in enumerate(b_names):
        if index not in paired:
            names.append(name)
            a_index.append(None)
            b_index.append(index)
    return ClassMatch(tuple(names), tuple(a_index), tuple(b_index))


def _joint(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Joint indices of a chunk of label values (-1: ignored or not a class of the model)."""
    v = values.astype(np.int64, copy=False)
    outside = len(table) - 1
    return table[np.where((v < 0) | (v > outside), outside, v)]


@dataclass(frozen=True)
class ClassRow:
    """One class of the joint list, as the comparison table shows it."""

    joint: int
    name: str
    a_index: int | None  # None: model A has no such class
    b_index: int | None
    pixels_a: int
    pixels_b: int
    iou: float | None  # None when a model lacks the class, or neither map has it

    @property
    def only_in(self) -> str:
        """"A" or "B" for a class one model lacks, else ""."""
        return "A" if self.b_index is None else "B" if self.a_index is None else ""


@dataclass
class Agreement:
    """The confusion of two label maps and the figures read from it."""

    match: ClassMatch
    confusion: np.ndarray  # (K, K) int64 pixels: rows A's joint class, columns B's
    ignored: int  # pixels left out: ignore index or no class in either map

    @property
    def names(self) -> tuple[str, ...]:
        return self.match.names

    @property
    def compared(self) -> int:
        return int(self.confusion.sum())

    @property
    def agreeing(self) -> int:
        return int(np.trace(self.confusion))

    @property
    def agreement(self) -> float | None:
        """Share of the compared pixels given the same class by both; None when none were compared."""
        return self.agreeing / self.compared if self.compared else None

    def pixels(self, side: str) -> np.ndarray:
        return self.confusion.sum(axis=1 if side == "a" else 0)

    def iou(self) -> np.ndarray:
        """Per joint class: |A and B| / |A or B|; NaN where a model lacks the class or neither has a pixel."""
        inter = np.diag(self.confusion).astype(np.float64)
        union = self.pixels("a") + self.pixels("b") - inter
        both = np.array([a is not None and b is not None for a, b in zip(self.match.a_index, self.match.b_index)])
        with np.errstate(invalid="ignore", divide="ignore"):
            out = inter / union
        out[(union == 0) | ~both] = np.nan
        return out

    @property
    def mean_iou(self) -> float | None:
        """Mean IoU over the classes both models have and at least one map shows; None if none."""
        values = self.iou()
        values = values[~np.isnan(values)]
        return float(values.mean()) if values.size else None

    def rows(self) -> list[ClassRow]:
        """The classes at least one map shows, largest (A's pixels plus B's) first."""
        a, b, iou = self.pixels("a"), self.pixels("b"), self.iou()
        order = sorted((k for k in range(len(self.names)) if a[k] or b[k]), key=lambda k: (-(a[k] + b[k]), k))
        return [ClassRow(k, self.names[k], self.match.a_index[k], self.match.b_index[k], int(a[k]), int(b[k]),
                         None if np.isnan(iou[k]) else float(iou[k])) for k in order]

    def top_confusions(self, count: int = 5) -> list[tuple[str, str, int]]:
        """The largest disagreements: (A's class, B's class, pixels), most pixels first (ties in
        the joint list's order)."""
        off = self.confusion.copy()
        np.fill_diagonal(off, 0)
        flat = np.argsort(-off, axis=None, kind="stable")[:count]
        k = len(self.names)
        return [(self.names[i // k], self.names[i % k], int(off.flat[i])) for i in flat if off.flat[i] > 0]

    def missing(self, side: str) -> list[str]:
        """The classes the other model has and this one (``side``) lacks."""
        own = self.match.a_index if side == "a" else self.match.b_index
        return [name for name, index in zip(self.names, own) if index is None]


def _check_shapes(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"the two label maps differ in size: {a.shape} and {b.shape}")


def compare_label_maps(a: np.ndarray, b: np.ndarray, a_names: Sequence[str], b_names: Sequence[str],
                       ignore_index: int = IGNORE_INDEX, chunk: int = COMPARE_CHUNK,
                       disagreement: np.ndarray | None = None) -> Agreement:
    """The agreement of label maps ``a`` (classes ``a_names``) and ``b`` of one image.

    ``disagreement``: an (H, W) uint8 array that is filled, in the same pass, with what
    ``disagreement_mask`` gives (the joint indices are then worked out once, not twice)."""
    _check_shapes(a, b)
    if disagreement is not None and (disagreement.shape != a.shape or disagreement.dtype != np.uint8):
        raise ValueError(f"the disagreement map must be uint8 of shape {a.shape}")
    match = match_classes(a_names, b_names)
    table_a, table_b = match.lookup("a", ignore_index), match.lookup("b", ignore_index)
    k = len(match.names)
    confusion = np.zeros(k * k, np.int64)
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    flat_out = disagreement.reshape(-1) if disagreement is not None else None
    ignored = 0
    for start in range(0, flat_a.size, chunk):
        ja = _joint(flat_a[start:start + chunk], table_a)
        jb = _joint(flat_b[start:start + chunk], table_b)
        keep = (ja >= 0) & (jb >= 0)
        ignored += int(keep.size - np.count_nonzero(keep))
        confusion += class_counts(ja[keep] * k + jb[keep], k * k, chunk=chunk)[:k * k]
        if flat_out is not None:
            flat_out[start:start + chunk] = keep & (ja != jb)
    return Agreement(match, confusion.reshape(k, k), ignored)


def disagreement_mask(a: np.ndarray, b: np.ndarray, match: ClassMatch, ignore_index: int = IGNORE_INDEX,
                      chunk: int = COMPARE_CHUNK) -> np.ndarray:
    """(H, W) uint8: 1 where both maps have a class and the classes differ (by name), else 0."""
    _check_shapes(a, b)
    table_a, table_b = match.lookup("a", ignore_index), match.lookup("b", ignore_index)
    out = np.zeros(a.shape, np.uint8)
    flat_a, flat_b, flat_out = a.reshape(-1), b.reshape(-1), out.reshape(-1)
    for start in range(0, flat_a.size, chunk):
        ja = _joint(flat_a[start:start + chunk], table_a)
        jb = _joint(flat_b[start:start + chunk], table_b)
        flat_out[start:start + chunk] = (ja != jb) & (ja >= 0) & (jb >= 0)
    return out
