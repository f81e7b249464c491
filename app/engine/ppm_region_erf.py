"""The effective receptive field of a region: the input gradient of a class's logit summed over it.

A region's summed photo logit is the feature cells' logits weighted by
``ppm_region.region_cell_weights`` (the resizes are linear), so its gradient splits per
path exactly as a pixel's does (``ppm_erf.path_gradients``: one forward pass, one
backbone backward pass per path; the paths add up to the full gradient). A one-pixel
region is the pixel's receptive field.

The analytic field of a region is the **union** of its pixels' analytic boxes (per path),
a mask at the network input's size: a pixel's box is a row interval (from its row's
feature cells) times a column interval (from its column's), so the union is built row
group by row group (the photo rows that share a row interval) from the columns any of
their pixels occupy. Outside it every path's gradient is exactly zero.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from app.editing.tools import Region
from app.engine.ppm_analysis import part_names
from app.engine.ppm_erf import pooled_rows, backbone_field, path_gradients, path_magnitudes
from app.engine.ppm_geometry import CaptureGeometry
from app.engine.ppm_region import region_cell_weights
from app.model import PSPNet


def axis_spans(model: PSPNet, geometry: CaptureGeometry, axis: int) -> np.ndarray:
    """(P, n, 2) per path and photo row (axis 0) or column (1): the first and last input pixel
    its analytic box covers along that axis (``ppm_erf.path_bounds``, one axis at a time)."""
    field = backbone_field(model.backbone)
    matrix = (geometry.row_matrix if axis == 0 else geometry.col_matrix) != 0  # (n_photo, n_feat)
    n_feat, n_in = geometry.feature_size[axis], geometry.input_size[axis]
    first = matrix.int().argmax(1).numpy()
    last = n_feat - 1 - matrix.flip(1).int().argmax(1).numpy()
    bins = model.cfg.bins
    out = np.zeros((1 + len(bins), len(first), 2), dtype=np.int64)
    for lo, hi in set(zip(first.tolist(), last.tolist())):
        span = (max(lo - 1, 0), min(hi + 1, n_feat - 1))  # the head's 3x3 conv reads one cell further
        spans = [span] + [pooled_rows(b, n_feat, *span, geometry.align_corners) for b in bins]
        where = (first == lo) & (last == hi)
        for p, (a, b) in enumerate(spans):
            out[p, where] = field.input_span(a, b, n_in)
    return out


def analytic_masks(model: PSPNet, geometry: CaptureGeometry, region: Region) -> np.ndarray:
    """(P, h, w) bool at the network input's size: per path, the union of the region's pixels' boxes."""
    rows, cols = axis_spans(model, geometry, 0), axis_spans(model, geometry, 1)
    (ih, iw), (y0, _, x0, _) = geometry.input_size, region.box
    used_rows = np.nonzero(region.mask.any(1))[0]
    masks = np.zeros((len(rows), ih, iw), dtype=bool)
    for p in range(len(rows)):
        spans = rows[p, y0 + used_rows]  # (r, 2)
        for lo, hi in {tuple(s) for s in spans.tolist()}:
            group = used_rows[(spans[:, 0] == lo) & (spans[:, 1] == hi)]
            xs = x0 + np.nonzero(region.mask[group].any(0))[0]
            edges = np.zeros(iw + 1, dtype=np.int64)  # +1 where a column interval starts, -1 after it ends
            np.add.at(edges, cols[p, xs, 0], 1)
            np.add.at(edges, cols[p, xs, 1] + 1, -1)
            masks[p, lo:hi + 1] |= np.cumsum(edges[:iw]) > 0
    return masks


@dataclass
class RegionReceptiveField:
    """Input gradients of a class's logit summed over a region, per path; ``full`` is their sum.

    ``paths`` (P, 3, h, w) signed gradients with respect to the normalised network input;
    ``masks`` (P, h, w) each path's analytic field (the union of the pixels' boxes);
    ``logit`` the summed logit (``pixel_count`` pixels).
    """

    region: Region
    kind: str
    class_index: int
    logit: float
    names: list[str]
    paths: np.ndarray
    masks: np.ndarray

    @property
    def pixel_count(self) -> int:
        return self.region.pixels

    @property
    def full(self) -> np.ndarray:
        return self.paths.sum(0)

    @property
    def full_mask(self) -> np.ndarray:
        return np.asarray(self.masks.any(0))

    def magnitudes(self) -> np.ndarray:
        """(1 + P, h, w): the L2 norm over colour channels of the full gradient, then of each path's."""
        return path_magnitudes(self.full, self.paths)


def region_receptive_field(model: PSPNet, network_input: torch.Tensor, geometry: CaptureGeometry,
                           region: Region, class_index: int | None = None, kind: str = "box",
                           cancel: threading.Event | None = None) -> RegionReceptiveField:
    """The gradient of ``class_index``'s logit summed over ``region`` (default: the class with the
    largest sum) per path. Heavy (one forward, one backbone backward per path): run it as a job;
    a set ``cancel`` stops it within one backbone block with ``Cancelled``."""
    if region.pixels == 0:
        raise ValueError("the region holds no pixel")
    if tuple(network_input.shape[2:]) != tuple(geometry.input_size):
        raise ValueError(f"the network input is {tuple(network_input.shape[2:])}, the capture's "
                         f"{tuple(geometry.input_size)}")
    # the viewer's worker runs jobs under inference_mode: weights made there could not be saved for backward
    with torch.inference_mode(False):
        weights = region_cell_weights(geometry, region).clone()
    rows = torch.nonzero(weights.abs().sum(1)).flatten()
    cols = torch.nonzero(weights.abs().sum(0)).flatten()
    i0, i1, j0, j1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    crop = weights[i0:i1, j0:j1]

    def region_logits(logits: torch.Tensor) -> torch.Tensor:  # (C,) the region's summed logits
        return torch.einsum("chw,hw->c", logits[:, i0:i1, j0:j1].double(), crop.to(logits.device))

    target, logit, paths = path_gradients(model, network_input, region_logits, class_index, cancel)
    return RegionReceptiveField(region, kind, target, logit, part_names(model.cfg.bins), paths,
                                analytic_masks(model, geometry, region))


def mask_fraction(mask: np.ndarray) -> float:
    """How much of the input an analytic mask covers (1.0: all of it)."""
    return float(mask.mean())
