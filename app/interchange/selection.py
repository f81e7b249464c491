"""Which label maps of a run folder an export takes: all, only the accepted ones, or all but
those marked "needs work" (Review > Accept / Needs Work, kept in the folder's ``review.json``).

The marks are read through the one review reader (app.labels.review). Its keys are image
file names relative to the image folder (``sub/photo.jpg``); a run item is named by its
label map's stem (``sub/photo``), so a mark belongs to the item of the same stem. Two
photos of one stem (``a.jpg``, ``a.png``) share one label map: the item then takes the
exact name of its own photo when that is known, else the least finished of the marks, so
that a map half of whose photos need work is never exported as accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath

from app.interchange.checks import ExportError
from app.interchange.run_folder import RunFolder, RunItem, open_run_folder
from app.labels.review import REVIEW_FILE, ReviewState, ReviewStore


class Selection(str, Enum):
    ALL = "all"
    ACCEPTED = "accepted"
    NOT_NEEDS_WORK = "not-needs-work"

    @property
    def title(self) -> str:  # type: ignore[override]  # the choice's display name, not str.title()
        return SELECTION_TITLES[self]

    def takes(self, state: ReviewState) -> bool:
        if self is Selection.ACCEPTED:
            return state == ReviewState.ACCEPTED
        if self is Selection.NOT_NEEDS_WORK:
            return state != ReviewState.NEEDS_WORK
        return True


SELECTION_TITLES = {Selection.ALL: "All label maps", Selection.ACCEPTED: "Accepted only",
                    Selection.NOT_NEEDS_WORK: "All but needs work"}
# least finished first: where two marks fall on one item, the earlier one counts
_LEAST_FINISHED = (ReviewState.NEEDS_WORK, ReviewState.UNREVIEWED, ReviewState.ACCEPTED)


@dataclass(frozen=True)
class SelectedItems:
    selection: Selection
    items: list[RunItem]                 # what the export takes, in the run folder's order
    left_out: dict[ReviewState, int]     # how many were left out, by their review state
    total: int

    @property
    def left_out_count(self) -> int:
        return sum(self.left_out.values())

    def note(self) -> str:
        """The report's line on what was left out ("" when nothing was)."""
        if not self.left_out_count:
            return ""
        why = ", ".join(f"{n} {state.title}" for state, n in self.left_out.items() if n)
        return (f"left out {self.left_out_count} of {self.total} label map(s) "
                f"({self.selection.title.lower()}): {why}")


def review_states(run: RunFolder) -> dict[str, ReviewState]:
    """Item name -> its review state; ExportError when ``review.json`` is there but unusable."""
    store = ReviewStore(run.root)
    if store.error is not None:
        raise ExportError(f"cannot choose label maps by their review marks: {store.error}")
    marks = store.marks()
    by_stem: dict[str, list[ReviewState]] = {}
    for name, state in marks.items():
        by_stem.setdefault(PurePosixPath(name).with_suffix("").as_posix(), []).append(state)
    states: dict[str, ReviewState] = {}
    for item in run.items:
        own = item.name + item.image_path.suffix if item.image_path is not None else None
        if own is not None and own in marks:
            states[item.name] = marks[own]
        elif item.name in by_stem:
            states[item.name] = min(by_stem[item.name], key=_LEAST_FINISHED.index)
        else:
            states[item.name] = ReviewState.UNREVIEWED
    return states


def select_items(run: RunFolder, selection: Selection | str) -> SelectedItems:
    """The items ``selection`` takes; ExportError when it takes none (nothing is to be written)."""
    selection = Selection(selection)
    if selection is Selection.ALL:  # review.json is not read at all: an unusable one is no matter
        return SelectedItems(selection, list(run.items), {}, len(run.items))
    states = review_states(run)
    taken = [item for item in run.items if selection.takes(states[item.name])]
    left_out = {state: 0 for state in ReviewState}
    for item in run.items:
        if not selection.takes(states[item.name]):
            left_out[states[item.name]] += 1
    if not taken:
        counts = ", ".join(f"{n} {s.title}" for s, n in left_out.items() if n)
        raise ExportError(f"nothing to export: {_none_taken(selection)} in {run.root} ({counts}; marks from "
                          f"{REVIEW_FILE}); nothing was written. Mark images in Review, or export all of them")
    return SelectedItems(selection, taken, left_out, len(run.items))


def _none_taken(selection: Selection) -> str:
    return ("no label map is accepted" if selection is Selection.ACCEPTED
            else "every label map is marked needs work")


def selection_counts(run: RunFolder) -> dict[Selection, int]:
    """How many label maps each choice takes (for the dialog's "Accepted only (12 of 16)");
    ExportError when ``review.json`` is unusable."""
    states = review_states(run)
    return {selection: sum(selection.takes(s) for s in states.values()) for selection in Selection}


def choice_texts(run_dir: Path | None) -> tuple[dict[Selection, str], str]:
    """The choices' texts with their counts ("Accepted only (12 of 16)") and a tooltip; plain
    titles, and the reason as the tooltip, while the folder or its review.json cannot be read."""
    plain = {selection: selection.title for selection in Selection}
    if run_dir is None:
        return plain, ""
    try:
        run = open_run_folder(run_dir)
        counts = selection_counts(run)
    except (ExportError, OSError) as exc:
        return plain, str(exc)
    total = len(run.items)
    texts = {selection: f"{selection.title} ({counts[selection]} of {total})" for selection in Selection}
    return texts, "By the marks of Review > Accept (A) and Needs Work (N), kept in the folder's review.json"
