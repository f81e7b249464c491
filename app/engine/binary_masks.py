"""Label maps that look like a binary mask saved as black/white (0 and 255).

A binary mask stored as an 8-bit greyscale image often holds 0 for background and 255
for the object, because that is what "black and white" means to an image editor. Here,
as in mmsegmentation and torchvision, 255 is ignore: the object then counts for nothing,
its class never appears, and IoU comes out 0 (the labelling-formats spec: "masks stored as
0/255 make IoU 0", mmseg #1509, #1609). Such a map is still read as it is (a map of background and ignore is legal, and
guessing would be worse), but the places that read label maps as ground truth (evaluate,
train --data, import, the review's label folder) say so once per run or folder.

Only 8-bit greyscale maps are looked at: a palette map holding 0 and 255 is VOC's
background and void, drawn in colours someone chose; a 1-bit mask already reads as 0/1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GREYSCALE_MODE = "L"
# Below this share of 255 a map of 0 and 255 is background with an ignored rim or patch,
# as label tools leave; above it, 255 is more likely the object.
BLACK_WHITE_SHARE = 0.01


def black_white_share(labels: np.ndarray, mode: str) -> float | None:
    """The share of pixels that are 255 when ``labels`` (read from an image of ``mode``) is
    an 8-bit greyscale map holding only 0 and 255, 255 in more than BLACK_WHITE_SHARE of
    it; None otherwise."""
    if mode != GREYSCALE_MODE or labels.dtype != np.uint8 or labels.size == 0:
        return None
    counts = np.bincount(labels.reshape(-1), minlength=256)
    white, black = int(counts[255]), int(counts[0])
    if black == 0 or black + white != labels.size:
        return None
    share = white / labels.size
    return share if share > BLACK_WHITE_SHARE else None


@dataclass
class BlackWhiteMasks:
    """The label maps of one run or folder that hold only 0 and 255 (see the module's note).

    The label-map reader calls ``look`` for each map it reads when it is given one;
    ``warning`` is the sentence for the user, ``take_warning`` the same sentence the
    first time there is one, then None (for callers that report as they go)."""

    found: list[tuple[Path, float]] = field(default_factory=list)
    looked_at: int = 0
    _told: bool = field(default=False, init=False, repr=False)

    def look(self, path: str | Path, mode: str, labels: np.ndarray) -> None:
        self.looked_at += 1
        if (share := black_white_share(labels, mode)) is not None:
            self.found.append((Path(path), share))

    def warning(self) -> str | None:
        if not self.found:
            return None
        path, share = self.found[0]
        if len(self.found) == 1:
            what = f"{path} holds only the values 0 and 255 (255 in {share:.0%} of its pixels)"
        else:
            what = (f"{len(self.found)} of {self.looked_at} label maps hold only the values 0 and 255 "
                    f"(the first: {path}, 255 in {share:.0%} of its pixels)")
        return (f"{what}: a binary mask saved as black/white? 255 is read as ignore, so those pixels "
                "count as no class at all (IoU 0 for the class they show). If 255 means the object, "
                "convert the masks to 0/1 (e.g. Image.open(p).point(lambda v: v // 255).save(p)) or "
                "save them as 1-bit images, which read as classes 0 and 1; they are read as they are.")

    def take_warning(self) -> str | None:
        if self._told or not self.found:
            return None
        self._told = True
        return self.warning()
