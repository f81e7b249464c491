"""One image being edited: its edit document, what the viewer shows for it, where it saves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.editing import LabelMapEdit
from app.viewing.cache import CachedView


@dataclass
class EditedView(CachedView):
    """The viewer's shown item while editing: the result with the edit's labels.

    ``original_labels`` are the labels the edit started from: where a pixel still has
    them, the model's confidence still describes it (the read-out shows it)."""

    original_labels: Any = None


@dataclass
class EditSession:
    source: Path
    doc: LabelMapEdit
    item: EditedView            # what the viewer shows
    original: CachedView        # what it showed before (Discard goes back to it)
    classes: Any                # ClassInfo the label values mean
    stem: Path | None = None    # output stem (``out/photo``) once known
    stem_known: bool = False    # the stem's files are this image's own: saving replaces them

    @classmethod
    def start(cls, source: Path, shown: CachedView, classes: Any, labels: np.ndarray | None = None) -> "EditSession":
        """A session on ``shown``; ``labels`` (recovered ones) replace the shown labels."""
        doc = LabelMapEdit((labels if labels is not None else shown.result.labels).copy(), len(classes))
        if labels is not None:
            doc.saved_state = -1  # recovered edits are not saved anywhere yet
        result = replace(shown.result, labels=doc.labels, class_counts=doc.class_counts())
        item = EditedView(shown.image, result, shown.classes, original_labels=shown.result.labels)
        return cls(Path(source), doc, item, shown, classes)

    def saved_view(self) -> CachedView:
        """A snapshot for the viewer's cache: going back to the image shows what was saved."""
        labels = self.doc.labels.copy()
        return CachedView(self.item.image, replace(self.item.result, labels=labels,
                                                   class_counts=self.doc.class_counts()), self.item.classes)
