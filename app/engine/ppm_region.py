"""The exact contribution split of a region of the photo, for any class.

A photo pixel's logits are a fixed linear mix of feature cells (``ppm_geometry``:
``photo = R @ low @ C.T``), so the logits summed over a set of pixels M are the
feature cells' logits weighted by ``R.T @ M @ C``. Each cell's logit splits exactly
into the parts' shares (``ppm_contrib``), and the split is linear in the cell
weights, so the region's summed logit of every class splits exactly too:

    sum_{pixels in M} logit_c = sum_p share_p,c(M) + bias_c(M)

with ``share_p,c(M) = sum_k W[c,k] a_k sum_cells weight * m_k * r_p,k``. One
product over the cells gives every class at once, so choosing another target class
or "why A and not B" (the difference of two classes' splits, which sums to the
difference of their logits) needs no new model work.

Regions are ``app.editing.tools.Region`` (a box and a mask inside it): a pixel, a
dragged box, the connected region of the label map under a click, or a whole class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from app.editing.tools import Region, class_within, clip_box, flood_region
from app.engine.ppm_contrib import HeadResponses, PixelAttribution
from app.engine.ppm_geometry import CaptureGeometry

REGION_KINDS = ("pixel", "box", "connected", "class")


def pixel_region(shape: tuple[int, int], x: int, y: int) -> Region | None:
    box = clip_box(shape, y, y + 1, x, x + 1)
    return None if box is None else Region(box, np.ones((1, 1), dtype=bool))


def box_region(shape: tuple[int, int], x0: int, y0: int, x1: int, y1: int) -> Region | None:
    """The pixels of the box with corners (x0, y0) and (x1, y1), both included, in any order."""
    box = clip_box(shape, min(y0, y1), max(y0, y1) + 1, min(x0, x1), max(x0, x1) + 1)
    if box is None:
        return None
    return Region(box, np.ones((box[1] - box[0], box[3] - box[2]), dtype=bool))


def connected_region(labels: np.ndarray, x: int, y: int) -> Region | None:
    """The 4-connected region of the label map's class under (x, y)."""
    return flood_region(labels, x, y)


def class_region(labels: np.ndarray, class_index: int) -> Region | None:
    """Every pixel labelled ``class_index`` (None when there is none)."""
    height, width = labels.shape
    whole = Region((0, height, 0, width), np.ones((height, width), dtype=bool))
    return class_within(labels, whole, class_index)


def region_cell_weights(geometry: CaptureGeometry, region: Region) -> torch.Tensor:
    """(h, w) float64: how much each feature cell's logit enters the region's summed logit.

    They add up to the region's pixel count (each pixel's bilinear weights sum to 1).
    """
    y0, y1, x0, x1 = region.box
    rows = geometry.row_matrix[y0:y1]  # (r, h)
    cols = geometry.col_matrix[x0:x1]  # (c, w)
    if region.mask.all():  # a box: the sums of its rows' and columns' weights
        return torch.outer(rows.sum(0), cols.sum(0))
    # float32 for the big product (0/1 times weights <= 1: exact to ~1e-7), then float64
    mask = torch.from_numpy(np.ascontiguousarray(region.mask)).to(torch.float32)
    return rows.T @ (mask @ cols.float()).double()


@dataclass
class RegionSplit:
    """Every class's summed logit over a region, split exactly into the parts' shares.

    ``shares`` (P, C), ``bias`` (C,), ``logits`` (C,): ``shares.sum(0) + bias == logits``.
    For a pixel these are the pixel's own logits.
    """

    kind: str
    region: Region
    names: list[str]
    shares: np.ndarray
    bias: np.ndarray
    logits: np.ndarray

    @property
    def pixel_count(self) -> int:
        return self.region.pixels

    @property
    def predicted(self) -> int:
        """The class with the largest summed logit (for a pixel: the one predicted there)."""
        return int(np.argmax(self.logits))

    def runner_up(self, class_index: int) -> int:
        """The class with the largest summed logit other than ``class_index``."""
        order = [int(c) for c in np.argsort(-self.logits, kind="stable") if int(c) != class_index]
        return order[0] if order else class_index

    def split(self, class_index: int, versus: int | None = None) -> tuple[np.ndarray, float, float]:
        """(shares (P,), bias, total) of a class's summed logit, or of ``class - versus``."""
        shares, bias = self.shares[:, class_index].copy(), float(self.bias[class_index])
        total = float(self.logits[class_index])
        if versus is not None:
            shares -= self.shares[:, versus]
            bias -= float(self.bias[versus])
            total -= float(self.logits[versus])
        return shares, bias, total


def split_region(head: HeadResponses, geometry: CaptureGeometry, region: Region,
                 kind: str = "box") -> RegionSplit:
    """Split every class's logit summed over ``region``'s photo pixels into the parts' shares."""
    if kind not in REGION_KINDS:
        raise ValueError(f"unknown region kind {kind!r}; expected one of {', '.join(REGION_KINDS)}")
    weights = region_cell_weights(geometry, region)
    # only the cells the region reaches (a small box touches a few of them)
    rows = torch.nonzero(weights.abs().sum(1)).flatten()
    cols = torch.nonzero(weights.abs().sum(0)).flatten()
    if rows.numel() == 0:
        raise ValueError("the region holds no pixel")
    i0, i1, j0, j1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    w = weights[i0:i1, j0:j1]
    gated = head.gate[:, i0:i1, j0:j1].double() * w  # (K, h', w'): cell weight * m_k
    channels, parts = head.responses.shape[:2]
    # one batched product per channel k: (P, cells) @ (cells,), float32 (a crop is copied, the whole map not)
    crop = head.responses[:, :, i0:i1, j0:j1].reshape(channels, parts, -1)
    per_part = torch.bmm(crop, gated.float().reshape(channels, -1, 1))[..., 0].T.double()  # (P, K)
    aff = head.affine
    weight = aff.weight.double()
    shares = (per_part * aff.scale.double()) @ weight.T  # (P, C)
    bias = weight @ (aff.shift.double() * gated.sum((1, 2))) + aff.bias.double() * w.sum()
    logits = torch.einsum("chw,hw->c", head.logits[:, i0:i1, j0:j1].double(), w)
    return RegionSplit(kind, region, list(head.names), shares.numpy(), bias.numpy(), logits.numpy())


def split_from_pixel(att: PixelAttribution, shape: tuple[int, int]) -> RegionSplit:
    """A pixel attribution (made on a click, without the full conv) as a one-pixel region split."""
    if att.class_shares is None or att.class_bias is None:
        raise ValueError("the pixel attribution holds only one class's split")
    region = pixel_region(shape, att.x, att.y)
    if region is None:
        raise ValueError(f"pixel ({att.x}, {att.y}) is outside the image")
    return RegionSplit("pixel", region, list(att.names), np.asarray(att.class_shares),
                       np.asarray(att.class_bias), np.asarray(att.logits, dtype=np.float64))


def describe_region(split: RegionSplit) -> str:
    """A short description: 'pixel (x, y)', 'box 40x30 at (x, y)', 'connected region of 512 px'."""
    y0, y1, x0, x1 = split.region.box
    if split.kind == "pixel":
        return f"pixel ({x0}, {y0})"
    if split.kind == "box":
        return f"box {x1 - x0}\u00d7{y1 - y0} at ({x0}, {y0})"
    what = "connected region" if split.kind == "connected" else "whole class"
    return f"{what} of {split.pixel_count} px"
