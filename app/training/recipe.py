"""Everything that defines a training run, as plain data recorded in checkpoints and cards."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Recipe:
    synthetic: int | None = 1200       # generated training scenes (when no --data)
    data: str | None = None            # a user's folder with images/ and labels/
    val_count: int = 100               # generated validation scenes / folder split size
    test_count: int = 300              # held-out generated scenes measured into the card
    size: tuple[int, int] = (448, 160)  # (width, height) of training scenes / resized folder images
    input_scale: float = 1.0           # the network sees the images resized by this factor
    low_res_epochs: int = 0            # first epochs at scale 1.0 (progressive resizing)
    backbone: str = "resnet18"
    base_width: int = 16
    epochs: int = 10
    batch_size: int = 8
    lr: float = 0.003
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    poly_power: float = 0.9
    warmup_iters: int = 50
    aux_weight: float = 0.4
    context_dropout: float = 0.1
    seed: int = 0
    device: str = "auto"
    threads: int = 0                   # torch CPU threads (0: all cores)
    workers: int = 2                   # processes generating scenes

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["size"] = list(self.size)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Recipe":
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        if "size" in kw:
            kw["size"] = tuple(int(v) for v in kw["size"])
        return cls(**kw)


def recipe_command(recipe: Recipe, out: str) -> str:
    """The ``main.py train`` line that runs this recipe from scratch."""
    src = f"--data {recipe.data}" if recipe.data else f"--synthetic {recipe.synthetic}"
    return (f"python main.py train {src} --crop {recipe.size[0]}x{recipe.size[1]} "
            f"--backbone {recipe.backbone} --base-width {recipe.base_width} --epochs {recipe.epochs} "
            f"--batch-size {recipe.batch_size} --lr {recipe.lr} --optimizer {recipe.optimizer} "
            f"--context-dropout {recipe.context_dropout} --val-count {recipe.val_count} "
            f"--test-count {recipe.test_count} --seed {recipe.seed} --threads {recipe.threads} "
            + (f"--input-scale {recipe.input_scale} " if recipe.input_scale != 1.0 else "")
            + (f"--low-res-epochs {recipe.low_res_epochs} " if recipe.low_res_epochs else "")
            + f"--out {out}")


def network_size(recipe: Recipe) -> tuple[int, int]:
    """(height, width) the network sees: the scene size scaled by ``input_scale``, by the
    same long-side rule the card's 'fast' protocol gives the engine."""
    from app.engine.resize import semseg_long_side_size  # noqa: PLC0415

    width, height = recipe.size
    return semseg_long_side_size(height, width, protocol_long_side(recipe))


def protocol_long_side(recipe: Recipe) -> int:
    return int(round(max(recipe.size) * recipe.input_scale))


def poly_lr(base: float, iteration: int, total: int, power: float, warmup: int) -> float:
    """PSPNet's poly schedule, base * (1 - it/total)^power, after a short linear warm-up."""
    if warmup and iteration < warmup:
        return base * (iteration + 1) / warmup
    return base * max(0.0, 1.0 - iteration / max(1, total)) ** power
