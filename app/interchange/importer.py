"""Importing another tool's labels into a label folder: ``NAME.png`` class-index maps and
``labelmap.txt``, the files ``segment`` writes, so the editor and ``evaluate`` read them.

The tool's label names are matched to ``classes`` (e.g. the model's labelmap.txt)
by name, case-insensitively; without them the tool's own label order is kept.
Names that mean "unlabelled" (CVAT's ``background``, labelme's ``_background_``)
become ignore (255) unless the classes have one of that name.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from types import ModuleType

import numpy as np

from app.classes import ClassInfo
from app.engine.writers import cvat_labelmap, label_image, labelmap_names
from app.interchange import coco, cvat_mask, labelme, voc
from app.interchange.checks import item_name
from app.interchange.dataset import SourceDataset, png_bytes
from app.interchange.destination import Staging, check_destination
from app.interchange.exporter import ExportReport, ItemCallback
from app.interchange.run_folder import IGNORE, LABELMAP, ExportError, ItemError, check_values

RENAMED_WHY = "labelmap.txt holds each class as one line, its name given once"
IMPORT_FORMATS: dict[str, ModuleType] = {"cvat-mask": cvat_mask, "coco": coco, "labelme": labelme, "voc": voc}


def value_table(source: SourceDataset, classes: ClassInfo | None) -> tuple[np.ndarray, ClassInfo]:
    """(65536,) source value -> class index, and the classes the label folder gets."""
    table = np.full(65536, IGNORE, dtype=np.uint16)
    if classes is None:
        kept = [i for i, n in enumerate(source.names) if n not in source.unlabelled]
        for new, old in enumerate(kept):
            table[old] = new
        return table, ClassInfo(tuple(source.names[i] for i in kept), tuple(source.colors[i] for i in kept))
    index = {name.lower(): i for i, name in enumerate(classes.names)}
    unknown = []
    for value, name in enumerate(source.names):
        if name.lower() in index:
            table[value] = index[name.lower()]
        elif name not in source.unlabelled and not name.startswith("class "):
            unknown.append(name)
    if unknown:
        raise ExportError(f"label(s) {', '.join(map(repr, unknown))} are not among the classes "
                          f"({', '.join(classes.names)})")
    return table, classes


def import_labels(fmt: str, src: str | Path, dest: str | Path, classes: ClassInfo | None = None,
                  overwrite: bool = False, on_item: ItemCallback | None = None,
                  cancel: threading.Event | None = None) -> ExportReport:
    if fmt not in IMPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose from {', '.join(IMPORT_FORMATS)}")
    src, dest = Path(src), Path(dest)
    if not src.exists():
        raise ExportError(f"{src}: no such file or folder")
    if fmt != "coco" and not src.is_dir():  # archives are not opened: no member can land outside dest
        what = "a ZIP archive" if src.suffix.lower() == ".zip" else "a file"
        raise ExportError(f"{src}: is {what}; {fmt} labels are imported from their folder "
                          f"({'unzip it first' if what != 'a file' else 'give the dataset folder'})")
    check_destination(dest, overwrite, src)  # a COCO file's own folder is no destination either
    source = IMPORT_FORMATS[fmt].read_dataset(src)
    if not source.items:
        raise ExportError(f"{src}: no label maps found")
    table, out_classes = value_table(source, classes)
    report = ExportReport(dest, fmt)
    safe = labelmap_names(out_classes.names)  # the names cvat_labelmap writes: each rename is a note
    report.notes += [f"label {old!r} is written as {new!r} ({RENAMED_WHY})"
                     for old, new in zip(out_classes.names, safe) if old != new]
    out_classes = dataclasses.replace(out_classes, names=safe)
    staging = Staging(dest, overwrite, src)
    try:
        if on_item is not None:
            on_item(0, len(source.items), "", "")  # the count, before the first item
        for done, (name, load) in enumerate(source.items, 1):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            error = ""
            try:
                item_name(name, f"{src}: {name}")  # each format names its entries; none may leave dest
                raw = load()
                check_values(raw, len(source.names), f"{src}: {name}")
                labels = table[raw]
                labels = labels.astype(np.uint8) if len(out_classes) <= 256 else labels
                staging.write_bytes(f"{name}.png", png_bytes(label_image(labels, out_classes)))
                report.exported.append(name)
            except ItemError as exc:
                error = str(exc)
                report.failures.append(error)
            if on_item is not None:
                on_item(done, len(source.items), name, error)
        if (warning := source.masks.warning()) is not None:
            report.notes.append(warning)
        if report.published:
            try:
                staging.write_text(LABELMAP, cvat_labelmap(out_classes))
            except ItemError as exc:
                raise ExportError(str(exc)) from None
            staging.commit()
    finally:
        staging.discard()
    return report
