"""The worker's side of ONNX graph builds: which graphs its model lacks, and a copy of that
model for the child process that builds them (the window never exports one itself:
``app.gui.graph_builds``). Worker thread only."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from app.gui.worker_errors import describe_failure
from app.gui.worker_types import GraphRequest

if TYPE_CHECKING:  # annotations only: torch loads in the worker thread
    from app.checkpoints.meta import LoadedModel
    from app.engine.segmenter import Segmenter


class GraphAsks:
    """Asks once per model and shape; the copy is written on the first ask, kept for the
    model's later asks, and removed with the next model's (or by ``remove``)."""

    def __init__(self) -> None:
        self._asked: set[tuple[int, ...]] = set()
        self._folder: Path | None = None
        self._copy: Path | None = None
        self._model: LoadedModel | None = None

    def new_segmenter(self, loaded: LoadedModel) -> None:
        """A fresh segmenter (configured, or another model): its missing graphs are asked for
        again (a build may have been cancelled); another model's copy goes."""
        self._asked = set()
        if loaded is not self._model:
            self._drop_copy()
            self._model = loaded

    def request(self, segmenter: Segmenter, token: int) -> GraphRequest | None:
        """The graphs the ONNX Runtime choice ran on PyTorch for want of a build, not yet asked for."""
        wanted = sorted(segmenter.backend.missing - self._asked)
        if not wanted or segmenter.backend.name != "onnx":
            return None
        self._asked.update(wanted)
        try:
            return GraphRequest(token, self._copy_of(segmenter.loaded), wanted)
        except Exception as exc:  # noqa: BLE001 - a full disk: PyTorch goes on running it
            return GraphRequest(token, Path(), wanted,
                                describe_failure(exc, "Could not write the model for the ONNX graph build"))

    def remove(self) -> None:
        """The worker has stopped: the copies go."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = self._copy = None

    def _copy_of(self, loaded: LoadedModel) -> Path:
        # the project's format: an in-memory model has no file, and a file's loader may convert it
        if self._copy is None:
            from app.checkpoints import save_native

            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="pspnet-graph-build-"))
            self._copy = save_native(self._folder / f"model{id(loaded):x}.safetensors", loaded.model, loaded.meta)
        return self._copy

    def _drop_copy(self) -> None:
        if self._copy is not None:
            for path in (self._copy, self._copy.with_suffix(".json")):
                path.unlink(missing_ok=True)  # a child reading it still has it open
            self._copy = None
