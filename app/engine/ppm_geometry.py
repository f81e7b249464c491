"""Where the PPM's feature cells sit in the photo, and how its logits reach the photo.

The fast protocol (app/engine/fast.py) runs one pass over the resized image: the
head's logits at the feature resolution are upsampled bilinearly to the network
input and then to the photo's size, both with the model's ``align_corners``. (A
padded input is described by ``content_box``: only the image's region is resized.) Both resizes are linear and separable, so the whole
path is one row matrix and one column matrix: ``photo = R @ low @ C.T`` per class.
Building them once makes ablations exact and memory-bounded at any photo size, and
lets a clicked pixel be attributed exactly to the few feature cells it mixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F


def interpolation_matrix(n_in: int, n_out: int, align_corners: bool) -> torch.Tensor:
    """(n_out, n_in) weights of PyTorch's 1-D linear resize (same per-axis rule as bilinear)."""
    eye = torch.eye(n_in, dtype=torch.float64).unsqueeze(0)  # channel k = a delta at k
    out = F.interpolate(eye, size=n_out, mode="linear", align_corners=align_corners)
    return out[0].T.contiguous()


@dataclass(frozen=True)
class CaptureGeometry:
    """Sizes of one capture: photo (H, W), network input, feature map, and the image's box.

    ``content_box`` is (top, left, height, width) of the photo inside the network
    input; None means the photo fills the input (no padding). ``via_input`` False:
    the logits are upsampled straight to the photo's size (CSAIL), not through the
    input's size first (mmseg, and the engine's fast protocol otherwise).
    """

    image_size: tuple[int, int]
    input_size: tuple[int, int]
    feature_size: tuple[int, int]
    align_corners: bool
    content_box: tuple[int, int, int, int] | None = None
    via_input: bool = True

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.content_box or (0, 0, self.input_size[0], self.input_size[1])

    def _axis_matrix(self, axis: int) -> torch.Tensor:
        n_img, n_in, n_feat = self.image_size[axis], self.input_size[axis], self.feature_size[axis]
        if not self.via_input:
            return interpolation_matrix(n_feat, n_img, self.align_corners)
        start, length = self.box[axis], self.box[axis + 2]
        to_input = interpolation_matrix(n_feat, n_in, self.align_corners)          # (n_in, n_feat)
        to_image = interpolation_matrix(length, n_img, self.align_corners)         # (n_img, length)
        return to_image @ to_input[start:start + length]                           # (n_img, n_feat)

    @cached_property
    def row_matrix(self) -> torch.Tensor:
        """(H, h) float64: photo row y mixes feature rows with these weights."""
        return self._axis_matrix(0)

    @cached_property
    def col_matrix(self) -> torch.Tensor:
        """(W, w) float64: photo column x mixes feature columns with these weights."""
        return self._axis_matrix(1)

    def pixel_cells(self, x: int, y: int) -> list[tuple[int, int, float]]:
        """The feature cells (row, col, weight) whose logits make photo pixel (x, y)."""
        rows = self.row_matrix[y]
        cols = self.col_matrix[x]
        ri = torch.nonzero(rows).flatten().tolist()
        ci = torch.nonzero(cols).flatten().tolist()
        return [(i, j, float(rows[i] * cols[j])) for i in ri for j in ci]

    def _feature_to_image(self, axis: int, f: float) -> float:
        """Photo coordinate (pixel centres at integers) of feature coordinate f on an axis."""
        n_in, n_feat = self.input_size[axis], self.feature_size[axis]
        start, length = self.box[axis], self.box[axis + 2]
        if not self.via_input:  # the same rules with the feature map mapped onto the photo directly
            n_in, start, length = self.image_size[axis], 0, self.image_size[axis]
        if self.align_corners:
            u = f * (n_in - 1) / (n_feat - 1) if n_feat > 1 else 0.0
        else:
            u = (f + 0.5) * n_in / n_feat - 0.5
        n_img = self.image_size[axis]
        if self.align_corners:
            return (u - start) * (n_img - 1) / (length - 1) if length > 1 else 0.0
        return (u - start + 0.5) * n_img / length - 0.5

    def feature_rect(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) in photo coordinates that puts each feature cell where it is sampled.

        Photo pixel y covers [y, y + 1); the rect spans from cell -0.5 to cell n - 0.5.
        """
        y0 = self._feature_to_image(0, -0.5) + 0.5
        y1 = self._feature_to_image(0, self.feature_size[0] - 0.5) + 0.5
        x0 = self._feature_to_image(1, -0.5) + 0.5
        x1 = self._feature_to_image(1, self.feature_size[1] - 0.5) + 0.5
        return (x0, y0, x1 - x0, y1 - y0)

    def nearest_cell(self, x: float, y: float) -> tuple[int, int]:
        """The feature cell (row, col) whose centre is nearest to photo point (x, y)."""
        rx, ry, rw, rh = self.feature_rect()
        h, w = self.feature_size
        i = int(np.clip(np.floor((y + 0.5 - ry) / rh * h), 0, h - 1))
        j = int(np.clip(np.floor((x + 0.5 - rx) / rw * w), 0, w - 1))
        return i, j


def labels_at_photo_size(geometry: CaptureGeometry, low: torch.Tensor,
                         max_elements: int = 16_000_000) -> np.ndarray:
    """Argmax labels (H, W) at the photo's size, computed in bands to bound memory."""
    low = low.detach().float().cpu()
    classes = low.shape[0]
    height, width = geometry.image_size
    right = geometry.col_matrix.float().T
    half = torch.einsum("chw,wx->chx", low, right)  # (C, h, W): the column resize done once
    band = max(1, max_elements // max(1, classes * width))
    dtype = np.uint8 if classes <= 256 else np.uint16
    out = np.empty((height, width), dtype=dtype)
    rows_m = geometry.row_matrix.float()
    for top in range(0, height, band):
        logits = torch.einsum("rh,chx->crx", rows_m[top:top + band], half)
        out[top:top + band] = logits.argmax(0).numpy().astype(dtype)
    return out
