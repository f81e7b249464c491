"""The classes an export writes: the model's, or another dataset's ids through a mapping file.

A mapping file gives model class indices the ids another dataset uses, one
``FROM TO`` pair a line (``#`` starts a comment), e.g. Cityscapes trainId -> id
(``0 7`` road, ``1 8`` sidewalk, ...). ``TO`` may be 255 (ignore). Classes not
listed keep their index; two classes mapped to one id are merged (a note says
so). The output id table is dense (0..largest id): ids no class maps to get a
placeholder name ``class N`` so that id-positional formats (VOC palettes, YOLO
class numbers) keep the ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.classes import ClassInfo, generate_palette
from app.interchange.checks import read_text_file
from app.interchange.run_folder import IGNORE, ExportError

VOID_COLOR = (224, 224, 192)  # VOC's colour of 255 (void)
BLACK = (0, 0, 0)             # CVAT's and datumaro's background


@dataclass(frozen=True)
class TargetClasses:
    classes: ClassInfo        # dense: index = output id
    used: tuple[bool, ...]    # which ids some model class maps to
    table: np.ndarray         # (65536,) model value -> output value (255 -> 255)
    notes: tuple[str, ...] = ()

    def apply(self, labels: np.ndarray) -> np.ndarray:
        out = self.table[labels]
        return out.astype(np.uint8) if len(self.classes) <= IGNORE else out

    @property
    def used_ids(self) -> list[int]:
        return [i for i, u in enumerate(self.used) if u]


def parse_mapping(text: str, num_classes: int, source: str = "mapping") -> dict[int, int]:
    pairs: dict[int, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.replace(",", " ").replace(":", " ").split()
        try:
            src, dst = (int(v) for v in fields)
        except ValueError:
            raise ExportError(f"{source} line {number}: expected two integers FROM TO, got {raw!r}") from None
        if not 0 <= src < num_classes:
            raise ExportError(f"{source} line {number}: {src} is not a class index of the model "
                              f"(0-{num_classes - 1})")
        if not 0 <= dst <= IGNORE:
            raise ExportError(f"{source} line {number}: target id {dst} is outside 0-255")
        if src in pairs:
            raise ExportError(f"{source} line {number}: class {src} is mapped twice")
        pairs[src] = dst
    return pairs


def target_classes(classes: ClassInfo, mapping: dict[int, int] | None = None) -> TargetClasses:
    """The output classes of ``classes`` under ``mapping`` (identity without one)."""
    if len(classes) > IGNORE and mapping:
        raise ExportError("a mapping file needs a model with at most 255 classes")
    mapping = mapping or {}
    ids = [mapping.get(i, i) for i in range(len(classes))]
    real = [i for i in ids if i != IGNORE]
    size = max(real) + 1 if real else 0
    names = [f"class {i}" for i in range(size)]
    colors: list[tuple[int, int, int]] = [(int(c[0]), int(c[1]), int(c[2])) for c in generate_palette(size)]
    used = [False] * size
    notes = []
    for index, out in enumerate(ids):
        if out == IGNORE:
            notes.append(f"class {classes.names[index]!r} is mapped to {IGNORE} (ignore)")
            continue
        if used[out]:
            notes.append(f"class {classes.names[index]!r} is merged into id {out} ({names[out]!r})")
            continue
        used[out] = True
        names[out], colors[out] = classes.names[index], classes.colors[index]
    table = np.arange(65536, dtype=np.uint16)
    table[: len(ids)] = ids
    seen: set[str] = set()
    for i, name in enumerate(names):  # CVAT and datumaro refuse a label declared twice
        unique, n = name, 1
        while unique.casefold() in seen:
            n += 1
            unique = f"{name}_{n}"
        if unique != name:
            notes.append(f"class {i} {name!r} is named {unique!r}: names must be unique")
            names[i] = unique
        seen.add(unique.casefold())
    return TargetClasses(ClassInfo(tuple(names), tuple(colors), classes.dataset, classes.title),
                         tuple(used), table, tuple(notes))


def read_mapping(path: str | Path, classes: ClassInfo) -> TargetClasses:
    path = Path(path)
    text = read_text_file(path, error=ExportError)  # a FIFO or a non-UTF-8 file is a sentence, never a hang
    return target_classes(classes, parse_mapping(text, len(classes), str(path)))


def distinct_colors(colors: list[tuple[int, int, int]], reserved: set[tuple[int, int, int]]
                    ) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Colours made unique and different from ``reserved`` (readers map colours back to
    classes, so two classes may not share one); returns them and the indices changed."""
    taken = set(reserved)
    out: list[tuple[int, int, int]] = []
    changed: list[int] = []
    for index, color in enumerate(colors):
        candidate, step = color, 0
        while candidate in taken:
            step += 1
            r, g, b = (int((v + step * d) % 256) for v, d in zip(color, (1, 3, 7)))
            candidate = (r, g, b)
        if candidate != tuple(color):
            changed.append(index)
        taken.add(candidate)
        out.append(candidate)
    return out, changed
