"""The model card of a trained model: what, how it was trained, and how well it does."""

from __future__ import annotations

import os
import platform
from typing import Any

import torch

from app.checkpoints.meta import ModelMeta, Normalization, ProtocolSettings
from app.classes import ClassInfo
from app.model import PSPNetConfig
from app.training import data as D
from app.training.recipe import Recipe, protocol_long_side
from app.training.scenes import CONTEXT_CLASSES


def machine_description(device: torch.device) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    gpu = f", GPU {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    return (f"{cpu}, {os.cpu_count()} CPU cores visible, {torch.get_num_threads()} torch threads"
            f"{gpu}; {platform.system()} {platform.release()}, torch {torch.__version__}")


def protocols_for(recipe: Recipe) -> dict[str, ProtocolSettings]:
    long_side = protocol_long_side(recipe)
    return {"fast": ProtocolSettings(name="fast", base_size=long_side, resize_side="long"),
            "official": ProtocolSettings(name="official", base_size=long_side, resize_side="long",
                                         crop_size=long_side, scales=(1.0,), flip=True)}


def build_meta(cfg: PSPNetConfig, classes: ClassInfo, norm: Normalization, recipe: Recipe,
               command: str, history: list[dict], metrics: dict[str, Any], wall_seconds: float,
               device: torch.device) -> ModelMeta:
    synthetic = recipe.data is None
    data: dict[str, Any]
    if synthetic:
        data = {"kind": "generated scenes (app/training/scenes)",
                "train_seeds": f"{recipe.seed * D.SEED_STRIDE}..{recipe.seed * D.SEED_STRIDE + (recipe.synthetic or 0) - 1}",
                "validation_seeds": f"{D.VAL_SEED_BASE + recipe.seed * D.SEED_STRIDE}.."
                                    f"{D.VAL_SEED_BASE + recipe.seed * D.SEED_STRIDE + recipe.val_count - 1}",
                "test_seeds": f"{D.HELDOUT_SEED_BASE}..{D.HELDOUT_SEED_BASE + recipe.test_count - 1} "
                              "(never used for training; `main.py generate --seed "
                              f"{D.HELDOUT_SEED_BASE} --count {recipe.test_count}` writes them)",
                "context_classes": list(CONTEXT_CLASSES),
                "context_note": "water/road and boat/car are drawn from identical distributions; "
                                "only the far landmark band (mountains vs buildings) decides them"}
    else:
        data = {"kind": "folder", "path": recipe.data}
    extras = {
        "description": ("Compact PSPNet trained from scratch by `main.py train` on the project's "
                        "generated outdoor scenes, where water/road and boat/car can only be told "
                        "apart by global context." if synthetic else
                        f"PSPNet trained by `main.py train` on {recipe.data}."),
        "training": {"command": command, "recipe": recipe.to_dict(), "data": data,
                     "loss": f"cross-entropy, ignore {classes.ignore_index}, + {recipe.aux_weight} x aux head",
                     "schedule": f"{recipe.optimizer}, poly lr power {recipe.poly_power}, "
                                 f"{recipe.warmup_iters} warm-up iterations",
                     "context_dropout": recipe.context_dropout,
                     "history": history, "wall_time_s": round(wall_seconds, 1),
                     "wall_time_note": "data generation excluded; training and per-epoch validation",
                     "machine": machine_description(device), "device": str(device)},
        "metrics": metrics,
    }
    name = (f"PSPNet Studio scenes ({cfg.backbone}, width {cfg.base_width})" if synthetic
            else f"PSPNet ({cfg.backbone}) on {recipe.data}")
    return ModelMeta(format="native", architecture=cfg, classes=classes, normalization=norm,
                     protocols=protocols_for(recipe), source="", name=name, card=extras)
