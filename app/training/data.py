"""Training data in memory: generated scenes by seed range, or a user's folder.

Seed ranges keep training, validation and held-out test scenes apart: training seed
``s`` uses scenes ``s*SEED_STRIDE + i``, validation ``VAL_SEED_BASE + s*SEED_STRIDE + j``;
``HELDOUT_SEED_BASE`` and above are never used by training (evaluate and the shipped
samples use them).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from app.engine.binary_masks import BlackWhiteMasks
from app.engine.imageio import IMAGE_EXTENSIONS, ImageReadError, read_image, read_label_map
from app.training.scenes import generate_scene

SEED_STRIDE = 100_000
VAL_SEED_BASE = 5_000_000
HELDOUT_SEED_BASE = 10_000_000
SAMPLES_SEED_BASE = 20_000_000
MAX_SCENES = 50_000
MAX_SEED = 49  # keeps every training and validation range below the next one


class DataError(ValueError):
    """A dataset folder that cannot be used, with a message naming the file."""


@dataclass
class ArrayDataset:
    """Images (N, H, W, 3) uint8 and labels (N, H, W) uint8, all the same size.

    ``inputs`` are the images resized to the size the network sees (``with_inputs``);
    None means the images themselves. Labels always stay at the images' size: the
    network's output is upsampled to them, as the engine does.
    """

    images: np.ndarray
    labels: np.ndarray
    description: str
    inputs: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.images)

    def network_inputs(self, scaled: bool = True) -> np.ndarray:
        return self.inputs if scaled and self.inputs is not None else self.images


def with_inputs(data: ArrayDataset, size: tuple[int, int]) -> ArrayDataset:
    """``data`` with its images resized to (height, width) exactly as the engine's 'fast'
    protocol resizes a photo (bilinear, half-pixel centres, rounded to uint8), so
    training, the card's numbers and ``evaluate`` see the same pixels."""
    from app.engine.resize import resize_image  # noqa: PLC0415

    if size == data.images.shape[1:3]:
        return ArrayDataset(data.images, data.labels, data.description)
    out = np.empty((len(data), size[0], size[1], 3), np.uint8)
    for i, image in enumerate(data.images):
        planes = resize_image(image, size[0], size[1], round_to_uint8=True)
        out[i] = planes.permute(1, 2, 0).to(torch.uint8).numpy()
    return ArrayDataset(data.images, data.labels,
                        f"{data.description}, seen by the network at {size[1]}x{size[0]}", out)


def _check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"--seed must be between 0 and {MAX_SEED} for generated scenes, so that "
                         "training, validation and held-out seed ranges never overlap")


def train_seeds(seed: int, count: int) -> list[int]:
    _check_seed(seed)
    if not 0 <= count <= MAX_SCENES:
        raise ValueError(f"--synthetic must be between 1 and {MAX_SCENES} scenes")
    return [seed * SEED_STRIDE + i for i in range(count)]


def val_seeds(seed: int, count: int) -> list[int]:
    _check_seed(seed)
    if not 0 <= count <= SEED_STRIDE:
        raise ValueError(f"--val-count must be between 1 and {SEED_STRIDE}")
    return [VAL_SEED_BASE + seed * SEED_STRIDE + i for i in range(count)]


def _scene_arrays(args: tuple[int, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    scene = generate_scene(args[0], args[1])
    return scene.image, scene.labels


def generated_dataset(seeds: list[int], size: tuple[int, int], workers: int = 1) -> ArrayDataset:
    """Scenes of the given seeds, generated in ``workers`` processes (same bytes either way)."""
    width, height = size
    images = np.empty((len(seeds), height, width, 3), np.uint8)
    labels = np.empty((len(seeds), height, width), np.uint8)
    jobs = [(s, size) for s in seeds]
    if workers > 1 and len(seeds) > 8:
        with ProcessPoolExecutor(workers) as pool:
            results = pool.map(_scene_arrays, jobs, chunksize=16)
            for i, (img, lab) in enumerate(results):
                images[i], labels[i] = img, lab
    else:
        for i, job in enumerate(jobs):
            images[i], labels[i] = _scene_arrays(job)
    span = f"seeds {seeds[0]}..{seeds[-1]}" if seeds else "no seeds"
    return ArrayDataset(images, labels, f"{len(seeds)} generated scenes ({span}, {width}x{height})")


def folder_pairs(root: Path) -> list[tuple[Path, Path]]:
    """(image, label) pairs matched by file stem in ROOT/images and ROOT/labels."""
    images_dir, labels_dir = root / "images", root / "labels"
    for d in (images_dir, labels_dir):
        if not d.is_dir():
            raise DataError(f"{d}: folder not found; --data expects DIR/images and DIR/labels "
                            "(label PNGs with class indices, 255 = ignore)")
    labels = {p.stem: p for p in labels_dir.iterdir() if p.suffix.lower() == ".png"}
    pairs = [(p, labels[p.stem]) for p in sorted(images_dir.iterdir())
             if p.suffix.lower() in IMAGE_EXTENSIONS and p.stem in labels]
    if not pairs:
        raise DataError(f"{root}: no image in images/ has a label PNG of the same name in labels/")
    return pairs


def read_label(path: Path, masks: BlackWhiteMasks | None = None) -> np.ndarray:
    """(H, W) uint8 class indices of an 8-bit label map (training keeps labels in uint8);
    ``masks`` notes maps of only 0 and 255 (app.engine.binary_masks)."""
    try:
        labels = read_label_map(path, masks=masks)
    except ImageReadError as exc:
        raise DataError(str(exc)) from None
    if labels.dtype != np.uint8:
        raise DataError(f"{path}: a 16-bit label map; training reads 8-bit palette or grayscale "
                        "label PNGs (class indices below 255, 255 = ignore)")
    return labels


def folder_dataset(root: Path, size: tuple[int, int], num_classes: int,
                   log: Callable[[str], None] | None = None) -> ArrayDataset:
    """A user's folder, every pair resized to ``size`` (bilinear image, nearest label).
    ``log`` hears, once, about label maps that look like black/white binary masks."""
    width, height = size
    pairs = folder_pairs(root)
    masks = BlackWhiteMasks()
    images = np.empty((len(pairs), height, width, 3), np.uint8)
    labels = np.empty((len(pairs), height, width), np.uint8)
    for i, (img_path, lab_path) in enumerate(pairs):
        try:
            img = read_image(img_path)
        except ImageReadError as exc:
            raise DataError(str(exc)) from None
        lab = read_label(lab_path, masks)
        if lab.shape != img.shape[:2]:
            raise DataError(f"{lab_path}: label is {lab.shape[1]}x{lab.shape[0]} but its image is "
                            f"{img.shape[1]}x{img.shape[0]}")
        bad = (lab >= num_classes) & (lab != 255)
        if bad.any():
            raise DataError(f"{lab_path}: label value {int(lab[bad].max())} is not a class index "
                            f"below {num_classes} nor 255 (ignore)")
        images[i] = np.asarray(Image.fromarray(img).resize((width, height), Image.Resampling.BILINEAR))
        labels[i] = np.asarray(Image.fromarray(lab).resize((width, height), Image.Resampling.NEAREST))
    if log is not None and (warning := masks.warning()):
        log(f"warning: {warning}")
    return ArrayDataset(images, labels, f"{len(pairs)} pairs from {root} (resized to {width}x{height})")


def split_dataset(data: ArrayDataset, val_fraction: float, seed: int) -> tuple[ArrayDataset, ArrayDataset]:
    """A deterministic split of a folder dataset into training and validation parts."""
    n = len(data)
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, int(round(n * val_fraction))) if n > 1 else 0
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    if len(train) == 0:
        raise DataError("the folder has too few pairs to train and validate (need at least 2)")
    return (ArrayDataset(data.images[train], data.labels[train], f"{len(train)} training pairs"),
            ArrayDataset(data.images[val], data.labels[val], f"{len(val)} validation pairs"))
