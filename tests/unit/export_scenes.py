"""Run folders made of generated scenes, as `segment` writes them, for the export tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from app.engine.writers import cvat_labelmap, label_image
from app.training.scenes import generate_scene, scene_classes

SIZE = (160, 64)  # small scenes: every test runs in well under a second per format


def make_run_folder(root: Path, seeds: tuple[int, ...] = (1, 2, 3), ignore_patch: bool = True,
                    subfolder: bool = True) -> dict[str, np.ndarray]:
    """``root/run``: NAME.png label maps, NAME.json naming photos in ``root/photos``, labelmap.txt.

    One map gets an ignore (255) patch with a hole holding another class, one sits in a
    sub-folder (as `segment --recursive` mirrors them). Returns name -> label map."""
    classes = scene_classes()
    run, photos = root / "run", root / "photos"
    run.mkdir(parents=True)
    photos.mkdir()
    maps: dict[str, np.ndarray] = {}
    for k, seed in enumerate(seeds):
        scene = generate_scene(seed, SIZE)
        labels = scene.labels.astype(np.uint8).copy()
        if ignore_patch and k == 0:
            labels[10:30, 20:60] = 255
            labels[15:22, 30:40] = 9  # a car inside the ignore patch's hole
        name = f"sub/scene_{seed}" if subfolder and k == len(seeds) - 1 else f"scene_{seed}"
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        photo = photos / f"scene_{seed}.png"
        Image.fromarray(scene.image).save(photo)
        label_image(labels, classes).save(run / f"{name}.png")
        (run / f"{name}.json").write_text(json.dumps({"image": {"path": str(photo)}}))
        maps[name] = labels
    (run / "labelmap.txt").write_text(cvat_labelmap(classes))
    return maps


def per_class_iou(a: np.ndarray, b: np.ndarray) -> dict[int, float]:
    """IoU of every value present in either map."""
    out = {}
    for value in np.union1d(np.unique(a), np.unique(b)):
        inter = np.count_nonzero((a == value) & (b == value))
        union = np.count_nonzero((a == value) | (b == value))
        out[int(value)] = inter / union
    return out
