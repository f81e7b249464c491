"""What the folder list's Status column says: the work state of each image.

A run's own words ("skipped": already done, not redone) are the ledger's; a person wants
to know what they have: "labelled" when a label map exists (from this run or any earlier
one: a label folder beside the folder, found as the review finds it, or the map a run
reported), "edited" when its ``NAME.json`` record says a person changed it, "pending" only
when there is no label map yet, "failed" with the reason in the tooltip.

``StatusColumn`` keeps the column of one folder's rows: the run's status stays in the row
(``row_status``), the work state is what it shows (``folder_rows.paint_status``). Each row's
detail is kept because a repaint (after the editor saved, say) needs it again, and the
failed rows because the "Failed" filter and its count read them.
"""

from __future__ import annotations

from pathlib import Path

from app.engine.ledger_states import is_edited
from app.engine.writers import output_paths
from PySide6.QtWidgets import QTreeWidgetItem

from app.gui.docks.folder_rows import EDITED, LABELLED, PATH_ROLE, ItemStatus, paint_status, row_status
from app.labels.pairing import candidate_label_dirs, label_stems

# statuses that mean a label map exists even where it is not found beside the folder
HAS_LABELS = (ItemStatus.SKIPPED, ItemStatus.LABELS)
# the statuses the thumbnail reader's "unreadable" may replace: nothing shown for the image
# yet but pending, or labels found beside the folder (a run's result or record is kept)
FLAGGED_UNREADABLE_OVER = (ItemStatus.PENDING, ItemStatus.LABELS)


class WorkStates:
    """Each image's label map: looked up beside the folder (``candidate_label_dirs``, named
    as the batch names them, ``label_stems``) or told with ``set_label_map``."""

    def __init__(self) -> None:
        self._stems: dict[Path, list[Path]] = {}
        self._dirs: list[Path] = []
        self._maps: dict[Path, Path] = {}

    def reset(self, folder: Path | None, paths: list[Path]) -> None:
        self._stems = label_stems(list(paths), folder) if folder is not None else {}
        self._dirs = candidate_label_dirs(folder) if folder is not None else []
        self._maps = {}

    def set_label_map(self, path: Path, label: Path | None) -> None:
        if label is None:
            self._maps.pop(Path(path), None)
        else:
            self._maps[Path(path)] = Path(label)

    def label_map(self, path: Path) -> Path | None:
        """The label map of ``path`` if one exists now (looked for again each time: a run
        or the editor may just have written it)."""
        path = Path(path)
        known = self._maps.get(path)
        if known is not None and known.is_file():
            return known
        for folder in self._dirs:
            for stem in self._stems.get(path, []):
                candidate = folder / stem.with_name(stem.name + ".png")
                if candidate.is_file() and candidate.resolve() != path.resolve():
                    return candidate
        return None

    def shown(self, path: Path, status: ItemStatus, detail: str) -> tuple[str, str]:
        """(the Status column's word, its tooltip) for ``path`` in ``status``."""
        if status in (ItemStatus.FAILED, ItemStatus.RUNNING):
            return status.value, detail or status.value
        label = self.label_map(path)
        if label is not None:
            record = output_paths(label.with_suffix(""), ["json"])["json"]
            if is_edited(record):
                return EDITED, f"edited by hand: {label} ({record.name} says so)"
            return LABELLED, f"labelled: {label}" + (f" ({detail})" if detail and str(label) not in detail else "")
        if status in HAS_LABELS:
            return LABELLED, detail or "labelled in an earlier run"
        if status == ItemStatus.PENDING:
            return status.value, "no label map yet" + (f" ({detail})" if detail else "")
        return status.value, detail or status.value


class StatusColumn:
    """The Status column of the rows of one folder (``reset`` for the next one)."""

    def __init__(self) -> None:
        self.work = WorkStates()
        self.failed: set[str] = set()        # the rows' path keys (PATH_ROLE)
        self._details: dict[str, str] = {}

    def reset(self, folder: Path | None, paths: list[Path]) -> None:
        self.work.reset(folder, paths)
        self.failed, self._details = set(), {}

    def paint(self, item: QTreeWidgetItem, status: ItemStatus, detail: str = "") -> bool:
        """Show ``status`` on ``item``; True when the row joined or left the failed ones."""
        key = item.data(0, PATH_ROLE)
        self._details[key] = detail
        paint_status(item, status, *self.work.shown(Path(key), status, detail))
        if (status == ItemStatus.FAILED) == (key in self.failed):
            return False
        (self.failed.add if status == ItemStatus.FAILED else self.failed.discard)(key)
        return True

    def repaint(self, item: QTreeWidgetItem) -> None:
        """Look at the row's label map and record again; its run status and detail are kept."""
        self.paint(item, row_status(item), self._details.get(item.data(0, PATH_ROLE), ""))
