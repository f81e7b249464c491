"""Writing generated scenes to disk: images/, labels/ (palette PNGs of class indices)
and classes.json; every file is written to a temp name first, then moved into place."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from PIL import Image

from app.engine.file_kinds import FileTooLargeError, NotRegularFileError, read_regular_bytes
from app.fileio import atomic_path
from app.training.scenes import generate_scene, scene_classes


CLASSES_LIMIT = 1 << 20  # the classes.json write_scenes writes is 2 KB


class SceneWriteError(OSError):
    """A file that is in the way (exists and --overwrite was not given)."""


def scene_name(seed: int) -> str:
    return f"scene_{seed:08d}"


def _saver(picture: Image.Image, fmt: str, **options: object) -> Callable[[Path], None]:
    """A save of this picture, bound now (not to a loop variable read later)."""
    return lambda path: picture.save(path, fmt, **options)


def _atomic_save(path: Path, save: Callable[[Path], object], overwrite: bool) -> None:
    """Without ``overwrite`` a file that appeared since the up-front check is kept."""
    with atomic_path(path, overwrite) as temp:
        save(temp)


def _needs_writing(path: Path, text: str, overwrite: bool) -> bool:
    """False when ``path`` already says ``text``; SceneWriteError when it holds something
    else (a user's classes.json) and ``overwrite`` was not given. An empty file is replaced."""
    if path.is_dir():
        raise SceneWriteError(f"{path} is a folder; choose another --out")
    try:
        current = read_regular_bytes(path, CLASSES_LIMIT) if os.path.lexists(path) else b""
    except NotRegularFileError as exc:  # a FIFO there would block the read for good
        raise SceneWriteError(f"{path} is {exc.kind}, not a classes file; it was kept. Choose another --out") from None
    except FileTooLargeError:
        current = b"\0"  # not ours, whatever it holds: kept unless --overwrite
    except FileNotFoundError:  # a dangling link
        raise SceneWriteError(f"{path} is a link to a missing file; it was kept. Choose another --out") from None
    except OSError as exc:
        raise SceneWriteError(f"cannot read {path}: {exc.strerror or exc}") from None
    if current == text.encode("utf-8"):
        return False
    if current and not overwrite:
        raise SceneWriteError(f"{path} exists with other contents; it was kept. Use --overwrite to "
                              "replace it, or choose another --out")
    return True


def label_png(labels: np.ndarray) -> Image.Image:
    """A mode-P PNG whose pixel values are the class indices and whose palette shows them."""
    img = Image.fromarray(labels.astype(np.uint8), mode="P")
    palette = np.zeros((256, 3), np.uint8)
    pal = scene_classes().palette
    palette[: len(pal)] = pal
    img.putpalette(palette.reshape(-1).tolist())
    return img


def write_scenes(out: Path, seeds: Iterable[int], size: tuple[int, int], image_format: str = "png",
                 overwrite: bool = False, progress: Callable[[int, int], None] | None = None) -> int:
    """Generate and write the scenes of ``seeds``; returns how many were written."""
    seeds = list(seeds)
    images_dir, labels_dir = out / "images", out / "labels"
    images_dir.mkdir(parents=True, exist_ok=True)
    labels_dir.mkdir(parents=True, exist_ok=True)
    ext = ".jpg" if image_format == "jpg" else ".png"
    if not overwrite:
        for seed in seeds:
            for path in (images_dir / f"{scene_name(seed)}{ext}", labels_dir / f"{scene_name(seed)}.png"):
                if path.exists():
                    raise SceneWriteError(f"{path} already exists; use --overwrite to replace "
                                          "it or choose another --out or --seed")
    classes_text = json.dumps(scene_classes().to_dict(), indent=2) + "\n"
    if _needs_writing(out / "classes.json", classes_text, overwrite):
        _atomic_save(out / "classes.json", lambda p: p.write_text(classes_text, encoding="utf-8"),
                     overwrite=overwrite or os.path.lexists(out / "classes.json"))  # an empty one is replaced
    for i, seed in enumerate(seeds):
        scene = generate_scene(seed, size)
        name = scene_name(seed)
        pic = Image.fromarray(scene.image)
        if ext == ".jpg":
            _atomic_save(images_dir / f"{name}.jpg", _saver(pic, "JPEG", quality=92), overwrite)
        else:
            _atomic_save(images_dir / f"{name}.png", _saver(pic, "PNG", optimize=False), overwrite)
        _atomic_save(labels_dir / f"{name}.png", _saver(label_png(scene.labels), "PNG"), overwrite)
        if progress:
            progress(i + 1, len(seeds))
    return len(seeds)
