"""Which images the folder list shows, in which order, and where next/previous lead (no Qt).

The filters are all images, one review state, or the failed ones; a search keeps the
names containing all its words. The orders are by name (the folder's own), by the mean
confidence of each image's saved record (lowest first) or by review state (work left
first, by name within a state).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from app.gui.docks.folder_rows import ItemStatus
from app.labels.confidence import lowest_confidence_first
from app.labels.review import ReviewState

# None: all; the review states; the images whose reading or segmenting failed
FILTERS: tuple[ReviewState | ItemStatus | None, ...] = (
    None, ReviewState.UNREVIEWED, ReviewState.ACCEPTED, ReviewState.NEEDS_WORK, ItemStatus.FAILED)
SORT_NAME, SORT_CONFIDENCE, SORT_REVIEW = "name", "confidence", "review"
REVIEW_ORDER = {ReviewState.UNREVIEWED: 0, ReviewState.NEEDS_WORK: 1, ReviewState.ACCEPTED: 2}  # work left first


def kept(wanted: ReviewState | ItemStatus | None, failed: bool, review: ReviewState, name: str,
         words: list[str]) -> bool:
    """Whether an image passes the filter ``wanted`` and contains every (casefolded) search word."""
    if wanted is None:
        passes = True
    elif wanted == ItemStatus.FAILED:
        passes = failed
    else:
        passes = review == wanted
    folded = name.casefold()
    return passes and all(word in folded for word in words)


def ordered(paths: list[Path], key: str, confidences: dict[Path, float | None],
            review: Callable[[Path], ReviewState]) -> list[Path]:
    """``paths`` (in name order) in the order ``key`` (SORT_*) asks for."""
    if key == SORT_CONFIDENCE:
        return lowest_confidence_first(paths, confidences)
    if key == SORT_REVIEW:
        return sorted(paths, key=lambda p: REVIEW_ORDER[review(p)])  # stable: by name within
    return paths


def neighbour(order: Sequence[Path], path: Path | None, step: int, shown: Callable[[Path], bool]) -> Path | None:
    """The shown image ``step`` rows away from ``path`` in ``order`` (None past the ends);
    from an image the filter hides, its place in the full list counts."""
    direction = 1 if step > 0 else -1
    index = order.index(path) if path in order else (-1 if step > 0 else len(order))
    found, remaining = None, abs(step)
    index += direction
    while 0 <= index < len(order) and remaining:
        if shown(order[index]):
            found, remaining = order[index], remaining - 1
        index += direction
    return found


def next_matching(order: Sequence[Path], path: Path | None, matches: Callable[[Path], bool],
                  step: int = 1) -> Path | None:
    """The next (step 1) or previous (-1) image in ``order`` that ``matches``, wrapping
    around; ``path`` itself only when it is the only one."""
    if not order:
        return None
    start = order.index(path) if path in order else (-1 if step > 0 else len(order))
    for offset in range(1, len(order) + 1):
        candidate = order[(start + step * offset) % len(order)]
        if matches(candidate):
            return candidate
    return None
