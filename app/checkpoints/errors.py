"""The one error a user sees when a weights file cannot be used."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence


class CheckpointError(ValueError):
    """A weights file that cannot be loaded; the message is meant for the user as is."""

    def __init__(self, path_or_message: str | Path, problem: str | None = None) -> None:
        # CheckpointError(path, problem) names the file; CheckpointError(message), the
        # agreed one-argument form, is kept for callers that already have a sentence.
        if problem is None:
            self.path: Path | None = None
            self.problem = str(path_or_message)
            super().__init__(self.problem)
            return
        self.path = Path(path_or_message)
        self.problem = problem
        super().__init__(f"Cannot load weights from {self.path}: {problem}")


def summarize_keys(keys: Sequence[str], limit: int = 10) -> str:
    """'a, b, c' or 'a, b, ... and 37 more' so that long lists stay readable."""
    keys = list(keys)
    shown = ", ".join(keys[:limit])
    if len(keys) > limit:
        shown += f", ... and {len(keys) - limit} more"
    return shown
