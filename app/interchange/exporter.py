"""Exporting a run folder to an annotation tool's format: the loop the CLI and the window share.

Every label map is read and checked (values are class indices or 255, the size
matches its photo); a bad one is reported and left out, the others are still
exported. Nothing appears at the destination until the whole dataset is
written (destination.Staging); a cancel leaves nothing behind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

from app.interchange import coco, cvat_mask, labelme, voc, yolo_seg
from app.interchange.destination import Staging, check_destination, check_holds_no_input
from app.interchange.mapping import read_mapping, target_classes
from app.interchange.run_folder import ExportError, ItemError, load_item, open_run_folder
from app.interchange.selection import Selection, select_items

EXPORT_FORMATS: dict[str, ModuleType] = {
    "cvat-mask": cvat_mask, "coco": coco, "labelme": labelme, "yolo-seg": yolo_seg, "voc": voc}
FORMAT_TITLES = {"cvat-mask": "CVAT Segmentation mask 1.1", "coco": "COCO (RLE, one annotation per class)",
                 "labelme": "labelme JSON (polygons)", "yolo-seg": "YOLO segmentation (ultralytics)",
                 "voc": "Pascal VOC segmentation"}

# on_item(done, total, name, error): first (0, total, "", ""), then once per item; error "" = exported
ItemCallback = Callable[[int, int, str, str], None]


@dataclass
class ExportReport:
    dest: Path
    format: str
    exported: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "path: reason"
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False
    left_out: int = 0  # label maps the selection (--only) did not take; the notes say why

    @property
    def published(self) -> bool:
        return bool(self.exported) and not self.cancelled


def export_run(run_dir: str | Path, fmt: str, dest: str | Path, overwrite: bool = False,
               mapping: str | Path | None = None, on_item: ItemCallback | None = None,
               cancel: threading.Event | None = None, overwrite_hint: str = "use --overwrite",
               only: Selection | str = Selection.ALL) -> ExportReport:
    """Export ``run_dir`` as ``fmt`` to ``dest``; ExportError for problems with the whole export
    (``overwrite_hint``: how the user allows replacing an existing ``dest``, in that message).

    ``only``: which label maps by their review marks (selection.Selection); chosen before
    anything is written, and a choice that takes none is refused."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    if fmt != "cvat-mask" and str(dest).lower().endswith(".zip"):
        raise ExportError(f"{fmt} is written to a folder; only cvat-mask is zipped")
    dest, run = Path(dest), open_run_folder(run_dir)
    selected = select_items(run, only)
    check_destination(dest, overwrite, run.root, overwrite_hint)
    check_holds_no_input(dest, (item.image_path for item in run.items if item.image_path is not None))
    targets = read_mapping(mapping, run.classes) if mapping else target_classes(run.classes)
    report = ExportReport(dest, fmt, notes=[n for n in [selected.note()] if n] + list(targets.notes),
                          left_out=selected.left_out_count)
    staging = Staging(dest, overwrite, run.root, overwrite_hint)
    try:
        writer = EXPORT_FORMATS[fmt].Writer(staging, targets)
        total = len(selected.items)
        if on_item is not None:
            on_item(0, total, "", "")  # the count, before the first item
        for done, item in enumerate(selected.items, 1):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            error = ""
            try:
                loaded = load_item(item, len(run.classes))
                writer.add(loaded, targets.apply(loaded.labels))
                report.exported.append(item.name)
            except ItemError as exc:
                error = str(exc)
                report.failures.append(error)
            if on_item is not None:
                on_item(done, total, item.name, error)
        if report.published:
            try:
                report.notes += writer.finish()
            except ItemError as exc:  # a run file clashing with an item's: the whole export stops
                raise ExportError(str(exc)) from None
            staging.commit()
    finally:
        staging.discard()
    return report
