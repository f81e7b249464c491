"""Measurements for the training log and the model card: mIoU over in-memory scenes
(with and without the pooled branches) and CPU speed."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from app.checkpoints.meta import Normalization
from app.engine.metrics import IoUAccumulator
from app.model import PSPNet
from app.training.data import ArrayDataset
from app.training.network import predict, training_memory_format


def to_input(images: np.ndarray, norm: Normalization, device: torch.device) -> torch.Tensor:
    """(B, H, W, 3) uint8 -> normalised (B, 3, H, W) float32 on ``device``."""
    x = torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float()
    mean = torch.tensor(norm.mean, device=device).view(1, 3, 1, 1)
    std = torch.tensor(norm.std, device=device).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous(memory_format=training_memory_format(device))


def evaluate_arrays(model: PSPNet, data: ArrayDataset, norm: Normalization, device: torch.device,
                    pooled_off: bool = False, batch_size: int = 8,
                    progress: Callable[[int, int], None] | None = None) -> IoUAccumulator:
    """Whole-image predictions of the network inputs (the card's 'fast' protocol), labels
    compared at the scenes' own size."""
    acc = IoUAccumulator(model.num_classes)
    was_training = model.training
    model.eval()
    for start in range(0, len(data), batch_size):
        x = to_input(data.network_inputs()[start:start + batch_size], norm, device)
        pred = predict(model, x, pooled_off=pooled_off, out_size=data.labels.shape[1:3]).cpu().numpy()
        for p, t in zip(pred, data.labels[start:start + batch_size]):
            acc.add(p, t)
        if progress:
            progress(min(len(data), start + batch_size), len(data))
    model.train(was_training)
    return acc


def per_class(acc: IoUAccumulator, names: tuple[str, ...]) -> dict[str, float]:
    return {n: round(float(v), 4) for n, v in zip(names, acc.iou())}


@torch.no_grad()
def cpu_ms_per_image(model: PSPNet, long_side: int = 512, aspect: float = 0.75, repeats: int = 5,
                     threads: int | None = None) -> float:
    """Median CPU milliseconds of one forward (with upsampling) at long side ``long_side``."""
    model = model.to("cpu").eval()
    if threads:
        torch.set_num_threads(threads)
    x = torch.randn(1, 3, int(round(long_side * aspect)), long_side)
    model(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model(x).argmax(1)
        times.append(time.perf_counter() - t)
    return round(1000 * float(np.median(times)), 1)
