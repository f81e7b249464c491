"""The window loop shared by the window protocols (official, slide, semseg's multi-scale),
for one image or for several whose windows share forwards.

A ``Canvas`` is one image at one scale: the input its windows are cut from and the
running sums of the windows' values (probabilities for official, logits for slide) with
how many windows covered each pixel. A ``WindowImage`` is one image's canvases, made
only when their first window is reached, and how its labels are finished from them.

``run_windows`` cuts the windows of the images in order (each image's canvases and
windows in plan order, so every pixel sums the same values in the same order as when
the image runs alone), puts up to ``window_batch`` of them into each forward, whichever
image they belong to, and finishes each image as soon as its last window is summed, so
only the images whose windows are in flight hold accumulators. Windows of different
shapes (slide: a side shorter than the crop) never share a forward.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Generic, Sequence, TypeVar

import torch

from app.engine.result import Cancelled

Window = tuple[int, int, int, int]  # y1, y2, x1, x2 in the canvas
WindowValues = Callable[[torch.Tensor], torch.Tensor]  # (B, 3, h, w) windows -> (B, C, h, w) values
Progress = Callable[[int, int], None]
Finished = TypeVar("Finished")


@dataclass(eq=False)
class Canvas:
    """One image at one scale: its input, its windows and the sums of their values."""

    source: torch.Tensor | None  # (3, H, W); dropped once every window is summed
    windows: Sequence[Window]
    total: torch.Tensor          # (C, H, W)
    count: torch.Tensor          # (H, W)
    added: int = 0

    @classmethod
    def blank(cls, source: torch.Tensor, windows: Sequence[Window], channels: int) -> Canvas:
        _, height, width = source.shape
        return cls(source, windows,
                   torch.zeros((channels, height, width), dtype=torch.float32, device=source.device),
                   torch.zeros((height, width), dtype=torch.float32, device=source.device))

    def crop(self, window: Window) -> torch.Tensor:
        assert self.source is not None, "every window of this canvas is already summed"
        y1, y2, x1, x2 = window
        return self.source[:, y1:y2, x1:x2]

    def add(self, window: Window, values: torch.Tensor) -> None:
        y1, y2, x1, x2 = window
        self.total[:, y1:y2, x1:x2] += values
        self.count[y1:y2, x1:x2] += 1
        self.added += 1
        if self.added == len(self.windows):
            self.total /= self.count  # the mean of the windows over each pixel
            self.source = None

    @property
    def mean(self) -> torch.Tensor:
        """(C, H, W) mean of the windows' values; valid once every window is summed."""
        assert self.added == len(self.windows), "windows of this canvas are still to come"
        return self.total


def window_shape(window: Window) -> tuple[int, int]:
    y1, y2, x1, x2 = window
    return y2 - y1, x2 - x1


@dataclass(eq=False)
class WindowImage(Generic[Finished]):
    """One image's share of a window run: its canvases (made on demand, in plan order),
    their window counts, and what becomes of the finished canvases."""

    canvases: Sequence[Callable[[], Canvas]]
    window_counts: Sequence[int]
    finish: Callable[[list[Canvas]], Finished]
    made: list[Canvas] = field(default_factory=list)

    @property
    def window_count(self) -> int:
        return sum(self.window_counts)


def run_windows(images: Sequence[WindowImage[Finished]], values: WindowValues, window_batch: int,
                cancel: threading.Event | None = None, progress: Progress | None = None,
                across_canvases: bool = True) -> list[Finished]:
    """Every image's finished result, in order, with up to ``window_batch`` windows per forward.

    ``across_canvases`` False starts a new forward with every canvas (one image alone:
    the forwards are each scale's windows in batches, as the published loop has them).
    ``cancel`` is checked before every forward (``Cancelled``); ``progress(done, total)``
    counts windows after each forward.
    """
    batch = max(1, window_batch)
    total_windows = sum(image.window_count for image in images)
    left = [image.window_count for image in images]
    results: list[Finished | None] = [None] * len(images)
    pending: list[tuple[int, Canvas, Window]] = []
    done = 0

    def forward_pending() -> None:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        crops = torch.stack([canvas.crop(window) for _, canvas, window in pending])
        for (owner, canvas, window), window_values in zip(pending, values(crops)):
            canvas.add(window, window_values)
            left[owner] -= 1
        done += len(pending)
        owners = sorted({owner for owner, _, _ in pending})
        pending.clear()
        if progress is not None:
            progress(done, total_windows)
        for owner in owners:
            if left[owner] == 0:  # its last window is in: finish it and let its canvases go
                image = images[owner]
                results[owner] = image.finish(image.made)
                image.made = []

    for owner, image in enumerate(images):
        for make in image.canvases:
            if pending and not across_canvases:
                forward_pending()
            canvas = make()
            image.made.append(canvas)
            for window in canvas.windows:
                if pending and window_shape(pending[0][2]) != window_shape(window):
                    forward_pending()
                pending.append((owner, canvas, window))
                if len(pending) == batch:
                    forward_pending()
    if pending:
        forward_pending()
    finished = [r for r in results if r is not None]
    assert len(finished) == len(images), "an image was left unfinished"
    return finished
