"""Looking at the pyramid pooling module's activations: channels, reductions, PCA, top channels.

``PPMActivations`` holds one image's capture (float16, batch dimension dropped) and
answers "what does map X look like" questions lazily: a single channel is a slice
(cheap, never cached); reductions across channels, the PCA and the channel ranking
are computed once per (source, view) and cached, so moving a slider only slices.

Sources: 0 is the PPM's input features, i >= 1 is branch i-1 (bins in the model's
order). Views: ``"pooled"`` (a branch's bin x bin grid) or ``"upsampled"`` (the map
as it enters the head; for the features this is simply the feature map).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from app.engine.ppm_geometry import CaptureGeometry
from app.model import PPMCapture

REDUCTIONS = ("channel", "mean", "max", "l2", "pca")
VIEWS = ("pooled", "upsampled")


def part_names(bins: Sequence[int]) -> list[str]:
    """Display names of the head's input parts: the features, then one per branch."""
    return ["features"] + [f"bin {b}" for b in bins]


def capture_geometry(capture: PPMCapture, image_size: tuple[int, int],
                     input_size: tuple[int, int] | None, align_corners: bool,
                     content_box: tuple[int, int, int, int] | None = None,
                     via_input: bool = True) -> CaptureGeometry:
    """The geometry of a capture; without a recorded input size, assume the output stride 8.
    ``via_input`` False: the logits went straight to the photo's size (CSAIL's pipeline)."""
    feature = (int(capture.features.shape[2]), int(capture.features.shape[3]))
    if input_size is None:
        input_size = ((feature[0] - 1) * 8 + 1, (feature[1] - 1) * 8 + 1) if align_corners else (
            feature[0] * 8, feature[1] * 8)
    return CaptureGeometry((int(image_size[0]), int(image_size[1])), (int(input_size[0]), int(input_size[1])),
                           feature, align_corners, content_box,
                           via_input)


class PPMActivations:
    """One image's PPM activations with lazily cached reductions."""

    def __init__(self, capture: PPMCapture, geometry: CaptureGeometry) -> None:
        cap = capture.select(0) if capture.features.shape[0] > 1 else capture
        self.capture = cap.to("cpu", torch.float16)
        self.geometry = geometry
        self.bins = tuple(int(b) for b in cap.bins)
        self.names = part_names(self.bins)
        self._features = self.capture.features[0].numpy()
        self._pooled = [p[0].numpy() for p in self.capture.pooled]
        self._upsampled = [u[0].numpy() for u in self.capture.upsampled]
        self._cache: dict[tuple, object] = {}

    @property
    def source_count(self) -> int:
        return 1 + len(self.bins)

    def array(self, source: int, view: str = "upsampled") -> np.ndarray:
        """(C, H, W) float16 values of a source in a view (features ignore the view)."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}; expected one of {VIEWS}")
        if not 0 <= source < self.source_count:
            raise IndexError(f"source {source} out of range 0..{self.source_count - 1}")
        if source == 0:
            return self._features
        return self._pooled[source - 1] if view == "pooled" else self._upsampled[source - 1]

    def channel_count(self, source: int) -> int:
        return int(self.array(source).shape[0])

    def channel(self, source: int, view: str, index: int) -> np.ndarray:
        """One channel as float32 (H, W): a slice, fast enough for every slider step."""
        data = self.array(source, view)
        if not 0 <= index < data.shape[0]:
            raise IndexError(f"channel {index} out of range 0..{data.shape[0] - 1}")
        return data[index].astype(np.float32)

    def reduce(self, source: int, view: str, kind: str, index: int = 0) -> np.ndarray:
        """A reduction across channels: (H, W) float32, or (H, W, 3) in 0-1 for ``"pca"``."""
        if kind == "channel":
            return self.channel(source, view, index)
        if kind not in REDUCTIONS:
            raise ValueError(f"unknown reduction {kind!r}; expected one of {REDUCTIONS}")
        key = ("reduce", source, self._view_key(source, view), kind)
        if key not in self._cache:
            data = torch.from_numpy(self.array(source, view)).float()
            if kind == "pca":
                rgb, variance = pca_rgb(data)
                self._cache[("pca_var", key[1], key[2])] = variance
                self._cache[key] = rgb
            else:
                self._cache[key] = reduce_channels(data, kind)
        return self._cache[key]  # type: ignore[return-value]

    def is_ready(self, source: int, view: str, kind: str) -> bool:
        """Whether drawing this needs no computation (a channel slice, or a cached reduction)."""
        return kind == "channel" or ("reduce", source, self._view_key(source, view), kind) in self._cache

    def pca_variance(self, source: int, view: str) -> np.ndarray:
        """Fraction of the variance explained by each of the three PCA components."""
        self.reduce(source, view, "pca")
        return self._cache[("pca_var", source, self._view_key(source, view))]  # type: ignore[return-value]

    def top_channels(self, source: int, count: int = 12) -> list[tuple[int, float]]:
        """The most active channels (index, mean activation), highest first.

        Ranked by the mean over the map as it enters the head; every branch ends in a
        ReLU and the features come out of one, so "active" means large and positive.
        """
        key = ("top", source)
        if key not in self._cache:
            data = torch.from_numpy(self.array(source, "upsampled")).float()
            self._cache[key] = data.flatten(1).mean(dim=1).numpy()
        scores: np.ndarray = self._cache[key]  # type: ignore[assignment]
        order = np.argsort(-scores, kind="stable")[:count]
        return [(int(i), float(scores[i])) for i in order]

    def _view_key(self, source: int, view: str) -> str:
        return "map" if source == 0 else view


def reduce_channels(data: torch.Tensor | np.ndarray, kind: str) -> np.ndarray:
    """Mean, max or L2 norm across the channels of a (C, H, W) float array, as float32 numpy."""
    data = torch.as_tensor(data, dtype=torch.float32)
    if kind == "mean":
        out = data.mean(dim=0)
    elif kind == "max":
        out = data.amax(dim=0)
    elif kind == "l2":
        out = torch.linalg.vector_norm(data, dim=0)
    else:
        raise ValueError(f"unknown reduction {kind!r}")
    return out.numpy()


def pca_rgb(data: torch.Tensor | np.ndarray, low_q: float = 1.0, high_q: float = 99.0
            ) -> tuple[np.ndarray, np.ndarray]:
    """The top three principal components of the channels at each position, as RGB in 0-1.

    Positions are samples and channels are variables. Each component is scaled by its
    1st-99th percentiles (a few extreme cells must not wash out the rest) and its sign
    is fixed so that its largest loading is positive, so the colours do not flip
    between runs. Returns (H, W, 3) float32 and the explained-variance fractions (3,).
    With fewer than two positions or no variance (a bin-1 grid) the map is mid-grey.
    """
    data = torch.as_tensor(data, dtype=torch.float32)
    channels, height, width = data.shape
    samples = data.reshape(channels, -1).T
    samples = samples - samples.mean(dim=0, keepdim=True)
    if min(samples.shape) <= 384:  # the exact path squares the data: keep double precision there
        samples = samples.double()
    rgb = np.full((height, width, 3), 0.5, dtype=np.float32)
    variance = np.zeros(3, dtype=np.float32)
    total = float(samples.square().sum())
    if samples.shape[0] < 2 or total <= 1e-12:
        return rgb, variance
    scores, loadings, evals = top_components(samples, 3)
    k = scores.shape[1]
    variance[:k] = (evals / total).numpy()
    for c in range(k):
        column = scores[:, c].numpy()
        if float(loadings[torch.argmax(loadings[:, c].abs()), c]) < 0:
            column = -column
        lo, hi = np.percentile(column, [low_q, high_q])
        if hi - lo > 1e-12:
            rgb[..., c] = np.clip((column - lo) / (hi - lo), 0.0, 1.0).reshape(height, width)
    return rgb, variance


def top_components(samples: torch.Tensor, count: int, exact_below: int = 384
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Scores (N, k), unit loadings (C, k) and eigenvalues (k,) of centred samples (N, C).

    Small problems use an exact eigendecomposition of the smaller Gram matrix; large
    ones (2048 feature channels) a seeded randomized subspace iteration, which keeps
    the PCA view of a ResNet-50 feature map well under a second and deterministic.
    """
    n, c = samples.shape
    k = min(count, n, c)
    if min(n, c) <= exact_below:
        if n <= c:
            evals, evecs = torch.linalg.eigh(samples @ samples.T)
            order = torch.argsort(evals, descending=True)[:k]
            loadings = samples.T @ evecs[:, order]
            loadings = loadings / loadings.norm(dim=0, keepdim=True).clamp_min(1e-12)
        else:
            evals, evecs = torch.linalg.eigh(samples.T @ samples)
            order = torch.argsort(evals, descending=True)[:k]
            loadings = evecs[:, order]
        return samples @ loadings, loadings, evals[order].clamp_min(0)
    generator = torch.Generator().manual_seed(0)
    basis = torch.randn(c, k + 8, generator=generator, dtype=samples.dtype)
    for _ in range(4):  # power iterations sharpen the leading subspace
        basis, _ = torch.linalg.qr(samples.T @ (samples @ basis))
    projected = samples @ basis  # (N, k + 8)
    _, sing, vh = torch.linalg.svd(projected, full_matrices=False)
    loadings = basis @ vh[:k].T
    return samples @ loadings, loadings, sing[:k].square()
