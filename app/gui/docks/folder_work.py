"""What the folder list's Status column says: the work state of each image.

A run's own words ("skipped": already done, not redone) are the ledger's; a person wants
to know what they have: "labelled" when a label map exists (from this run or any earlier
one: a label folder beside the folder, found as the review finds it, or the map a run
reported), "edited" when its ``NAME.json`` record says a person changed it, "pending" only
when there is no label map yet, "failed" with the reason in the tooltip.
"""

from __future__ import annotations

from pathlib import Path

from app.engine.ledger_states import is_edited
from app.engine.writers import output_paths
from app.gui.docks.folder_rows import EDITED, LABELLED, ItemStatus
from app.labels.pairing import candidate_label_dirs, label_stems

# statuses that mean a label map exists even where it is not found beside the folder
HAS_LABELS = (ItemStatus.SKIPPED, ItemStatus.LABELS)


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
