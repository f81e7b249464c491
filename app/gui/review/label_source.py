"""Label maps found beside the open folder as the viewer's results, without the model.

The viewer asks ``result(path)`` before running the model; an image with a usable label
file is shown from it (class list: the label folder's ``labelmap.txt``, else the model's).
A file that does not fit (another size, values beyond the classes, not a class-index
image) is reported once and not shown; the model runs for it instead when one is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from app.checkpoints.meta import ProtocolSettings
from app.classes import ClassInfo
from app.engine.binary_masks import BlackWhiteMasks
from app.gui.batch.saved_labels import SAVED_DEVICE
from app.engine.imageio import ImageReadError, read_image
from app.engine.result import SegmentationResult
from app.viewing.cache import CachedView
from app.labels.label_files import (LabelFileError, check_record_classes, read_checked_labels,
                                    record_class_names)
from app.labels.pairing import LabelPairing, compare_classes

LABELS_DEVICE = "labels from disk"


def paired_view(image_path: Path, label_path: Path, classes: ClassInfo,
                masks: BlackWhiteMasks | None = None) -> CachedView:
    """The photo and its label map as a cache entry; LabelFileError/ImageReadError if unusable."""
    image = read_image(image_path)
    labels, counts = read_checked_labels(label_path, image.shape[:2], len(classes), masks)
    confidence = np.full(labels.shape, np.nan, dtype=np.float32)  # not saved: unknown
    result = SegmentationResult(labels, confidence, counts, ProtocolSettings(), LABELS_DEVICE, 0.0)
    return CachedView(image, result, classes)


def describe_shown(item: CachedView, has_saved: bool, saved_chosen: bool) -> tuple[str, str]:
    """Which labels are on screen, for the status bar: a short text and why (its tooltip).
    ``has_saved``: the image has saved labels; ``saved_chosen``: Show Labels from Folder is on."""
    if item.result.device in (LABELS_DEVICE, SAVED_DEVICE):
        return "Showing: saved labels", ("The saved label map (what the dataset holds; the editor edits it). "
                                         "Review > Show Labels from Folder off shows the model's prediction.")
    if not has_saved:
        return "Showing: model prediction", "This image has no saved labels."
    if not saved_chosen:
        return "Showing: model prediction (saved labels off)", (
            "Review > Show Labels from Folder is off; turn it on for the saved labels.")
    if getattr(item.result, "activations", None) is not None:  # made for the inspector
        return "Showing: model prediction (for the inspector)", (
            "The inspector needs the model's own run; close it and show the image again for its saved labels.")
    return "Showing: model prediction", "Its saved labels are newer than this result or could not be read."


class PairedLabels:
    """The current folder's pairing and the results made from it."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report
        self.pairing: LabelPairing | None = None
        self.enabled = True
        self.model_classes: ClassInfo | None = None
        self._reported: set[str] = set()
        self._masks = BlackWhiteMasks()  # maps of only 0 and 255 in this folder: said once

    def set_pairing(self, pairing: LabelPairing | None) -> None:
        self.pairing = pairing
        self._reported = set()
        self._masks = BlackWhiteMasks()
        if pairing is not None:
            for problem in pairing.problems:
                self._report_once(problem)
            self._check_classes()

    def set_model_classes(self, classes: ClassInfo | None) -> None:
        self.model_classes = classes
        self._check_classes()

    def classes(self) -> ClassInfo | None:
        if self.pairing is not None and self.pairing.classes is not None:
            return self.pairing.classes
        return self.model_classes

    def result(self, path: Path) -> CachedView | None:
        if not self.enabled or self.pairing is None:
            return None
        label_path = self.pairing.label_for(Path(path))
        if label_path is None:
            return None
        classes = self.classes()
        if classes is None:
            self._report_once(f"{self.pairing.label_dir} has no labelmap.txt and no model is loaded, so the "
                              "class of each label value is not known: load the model the labels were made "
                              "with (File > Open Weights), or put its labelmap.txt beside the labels.")
            return None
        if self.pairing.classes is None:  # the model's classes: the run's record may say otherwise
            record = label_path.with_suffix(".json")
            if (text := check_record_classes(record_class_names(record), classes, record)) is not None:
                self._report_once(text)
                return None
        try:
            view = paired_view(Path(path), label_path, classes, self._masks)
        except (LabelFileError, ImageReadError, OSError) as exc:
            self._report_once(str(exc))
            return None
        if (warning := self._masks.take_warning()) is not None:
            self._report_once(warning)
        return view

    def _check_classes(self) -> None:
        if self.pairing is not None and (text := compare_classes(self.pairing.classes, self.model_classes)):
            self._report_once(text)

    def _report_once(self, text: str) -> None:
        if text not in self._reported:
            self._reported.add(text)
            self.report(text)
