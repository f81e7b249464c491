"""Writes recovery files on a background thread, so a stroke never waits for PNG encoding.

The GUI hands over a copy of the map after each change; only the newest pending copy
is written (an older one not yet started is replaced), so a burst of strokes costs
one write at the end. zlib and PIL's encoder release the GIL.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from app.editing.recovery import remove_recovery, write_recovery


class RecoveryWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.errors: list[str] = []
        self._pending: tuple[Path, np.ndarray, Path | None] | None = None
        self._cancelled: set[str] = set()
        self._busy = False
        self._lock = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="recovery-writer", daemon=True)
        self._thread.start()

    def submit(self, source: Path, labels: np.ndarray, stem: Path | None) -> None:
        """Write ``labels`` (a copy the caller will not touch again) as ``source``'s recovery."""
        with self._lock:
            self._cancelled.discard(str(source))
            self._pending = (source, labels, stem)
            self._lock.notify()

    def discard(self, source: Path) -> None:
        """Drop ``source``'s recovery (saved or discarded): pending writes included."""
        with self._lock:
            if self._pending is not None and self._pending[0] == source:
                self._pending = None
            self._cancelled.add(str(source))
            while self._busy:  # a write in progress finishes, then is removed below
                self._lock.wait()
            remove_recovery(self.folder, source)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is pending or being written; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._pending is None and not self._busy, timeout)

    def close(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._pending is not None or self._stop)
                if self._pending is None:
                    return
                job, self._pending, self._busy = self._pending, None, True
            source, labels, stem = job
            try:
                write_recovery(self.folder, source, labels, stem)
            except OSError as exc:
                self.errors.append(f"could not write the recovery file for {source.name}: {exc}")
            with self._lock:
                self._busy = False
                if str(source) in self._cancelled:
                    remove_recovery(self.folder, source)
                self._lock.notify_all()
