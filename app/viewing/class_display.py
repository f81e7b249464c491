"""Which classes are drawn and how: hidden classes, the highlight, and the areas of the image shown.

The rules (issue 18, "state that never lies"):

- Hiding and highlighting are separate. Hiding a class never highlights it; highlighting a
  hidden class shows it again; hiding the highlighted class clears the highlight.
- A highlight carries over to the next image only when that image has the class (a
  highlight of an absent class would dim everything and look like a blank overlay).
  Hidden classes carry over as they are: the summary line says how many are hidden.
- "All" and "None" clear the highlight.
- A new class list (a new model, labels read with their own classes) starts afresh:
  every class shown, nothing highlighted.

The legend dock observes this model and the viewer draws its lookup table (``lut``).
"""

from __future__ import annotations

import numpy as np

from app.viewing.events import Event
from app.viewing.rendering import hatched_lut, overlay_lut

NO_CLASS = -1
NAMED_HIDDEN = 3  # the summary names up to this many hidden classes


class ClassDisplay:
    """Hidden classes and the highlight for one class list, plus the shown image's areas."""

    def __init__(self) -> None:
        self.names: tuple[str, ...] = ()
        self._visible = np.ones(0, dtype=bool)
        self._highlight = NO_CLASS
        self.counts: np.ndarray | None = None  # pixels per class of the image shown; None: pending
        self.palette = np.zeros((0, 3), np.uint8)
        self.reset = Event()        # () a new class list
        self.counts_changed = Event()  # () new areas (a new image, an edit)
        self.visibility = Event()   # (visible: np.ndarray[bool])
        self.highlight_changed = Event()  # (index: int, NO_CLASS for none)

    # --- reading ----------------------------------------------------------------------
    @property
    def highlight(self) -> int:
        return self._highlight

    def visible(self) -> np.ndarray:
        return self._visible.copy()

    def is_visible(self, index: int) -> bool:
        return bool(0 <= index < len(self._visible) and self._visible[index])

    def hidden_count(self) -> int:
        return int((~self._visible).sum())

    def present(self) -> list[int]:
        """Class indices of the shown image, largest area first (ties in index order)."""
        if self.counts is None or not len(self.names):
            return []
        order = np.argsort(-self.counts, kind="stable")
        return [int(i) for i in order if i < len(self.names) and self.counts[i] > 0]

    def summary(self) -> str:
        """What is highlighted and hidden, in words (the overlay alone can mislead)."""
        parts = []
        if self._highlight >= 0:
            parts.append(f"Highlighted: {self.names[self._highlight]} (others dimmed)")
        hidden = self.hidden_count()
        if hidden:  # named when few: a hidden class the image lacks has no row to show it
            names = [self.names[i] for i in np.flatnonzero(~self._visible)]
            named = f" ({', '.join(names)})" if hidden <= NAMED_HIDDEN else ""
            parts.append(f"{hidden} class{'es' if hidden > 1 else ''} hidden{named}")
        return " · ".join(parts) or "All shown; click a name to highlight it"

    def lut(self, palette: np.ndarray | None = None, hatched: bool = False) -> np.ndarray:
        """The (C+1, 4) table the mask layers draw through (C+2 with the threshold's hatch)."""
        palette = self.palette if palette is None else palette
        lut = overlay_lut(palette, self._visible if len(self._visible) else None,
                          self._highlight if self._highlight >= 0 else None)
        return hatched_lut(lut) if hatched else lut

    # --- changing ---------------------------------------------------------------------
    def set_classes(self, names: tuple[str, ...] | list[str]) -> None:
        """A new class list: every class visible, nothing highlighted, no areas yet."""
        self.names = tuple(names)
        self._visible = np.ones(len(self.names), dtype=bool)
        self._highlight = NO_CLASS
        self.counts = None
        self.reset.emit()

    def show_counts(self, counts: np.ndarray | None, palette: np.ndarray | None = None) -> None:
        """The areas of the image now shown (None while its result is pending). A highlighted
        class the new image lacks is no longer highlighted; hidden classes stay hidden."""
        if palette is not None:
            self.palette = np.asarray(palette)
        self.counts = None if counts is None else np.asarray(counts)
        if counts is not None and self._highlight >= 0 and (
                self._highlight >= len(counts) or counts[self._highlight] <= 0):
            self._set_highlight(NO_CLASS)
        self.counts_changed.emit()

    def set_visible(self, index: int, on: bool) -> None:
        if not 0 <= index < len(self._visible) or bool(self._visible[index]) == on:
            return
        self._visible[index] = on
        if not on and index == self._highlight:
            self._set_highlight(NO_CLASS)  # a hidden class is not highlighted
        self.visibility.emit(self.visible())

    def set_highlight(self, index: int) -> None:
        """Highlight a class (NO_CLASS or an unknown index clears); a hidden class is shown."""
        index = index if 0 <= index < len(self.names) else NO_CLASS
        if index >= 0 and not self._visible[index]:
            self._visible[index] = True
            self.visibility.emit(self.visible())
        self._set_highlight(index)

    def toggle_highlight(self, index: int) -> None:
        """A click on a class (its name, or a pixel of it): highlight it, or clear if it was."""
        self.set_highlight(NO_CLASS if index == self._highlight else index)

    def set_all(self, on: bool) -> None:
        """"All" / "None": every class shown or hidden, and no highlight."""
        self._set_highlight(NO_CLASS)
        if len(self._visible) and bool(self._visible.all() if on else not self._visible.any()):
            return
        self._visible[:] = on
        self.visibility.emit(self.visible())

    def _set_highlight(self, index: int) -> None:
        if index == self._highlight:
            return
        self._highlight = index
        self.highlight_changed.emit(index)
