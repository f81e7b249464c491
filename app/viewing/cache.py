"""Recently computed results, so going back to an image is instant (LRU by memory; no Qt)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable

import numpy as np

from app.viewing.layers import PreparedLayers

DEFAULT_BUDGET_BYTES = 768 * 1024 * 1024


@dataclass
class CachedView:
    image: np.ndarray
    result: Any  # SegmentationResult
    classes: Any = None  # ClassInfo the labels mean when not the model's (label maps read from disk)
    layers: PreparedLayers | None = None  # contours made by the worker (None: the view makes them)

    @property
    def nbytes(self) -> int:
        total = self.image.nbytes + self.result.labels.nbytes + self.result.confidence.nbytes
        if self.layers is not None:
            total += self.layers.nbytes
        capture = getattr(self.result, "activations", None)
        if capture is not None:
            tensors = [capture.features, *capture.pooled, *capture.upsampled]
            total += sum(int(t.numel()) * int(t.element_size()) for t in tensors)
        return total


class ResultCache:
    """Least recently used entries are evicted once the memory budget is exceeded.

    Keys are the viewer's (app.viewing.state.ViewerState.key): the file, the model token
    (model + device + precision) and where the result came from (saved labels, or a
    prediction, whose key holds its protocol and capture too).
    """

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self._items: OrderedDict[Hashable, CachedView] = OrderedDict()
        self._budget = budget_bytes
        self._bytes = 0

    def get(self, key: Hashable) -> CachedView | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: Hashable, item: CachedView) -> None:
        if key in self._items:
            self._bytes -= self._items.pop(key).nbytes
        self._items[key] = item
        self._bytes += item.nbytes
        while self._bytes > self._budget and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes

    def discard_where(self, matches: Callable[[Hashable], bool]) -> int:
        """Drop the entries whose key ``matches``; how many went."""
        gone = [key for key in self._items if matches(key)]
        for key in gone:
            self._bytes -= self._items.pop(key).nbytes
        return len(gone)

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes
