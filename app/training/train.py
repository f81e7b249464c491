"""The training loop: data, AdamW/SGD with the poly schedule, aux loss, per-epoch
validation and checkpoints, resume, and the final model in the project's format."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from app.checkpoints import save_native
from app.checkpoints.meta import ModelMeta, Normalization
from app.classes import ClassInfo, generic_classes
from app.engine.device import resolve_device
from app.engine.file_kinds import NotRegularFileError, read_regular_bytes
from app.model import PSPNet
from app.training import data as D
from app.training.card import build_meta
from app.training.checkpoint import load_training_state, save_training_state
from app.training.evaluation import cpu_ms_per_image, evaluate_arrays, per_class, to_input
from app.training.network import (compact_config, forward_train, loss_fn, new_model,
                                  training_memory_format)
from app.training.recipe import Recipe, network_size, poly_lr, recipe_command
from app.training.scenes import scene_classes
from app.training.writing import CLASSES_LIMIT

Log = Callable[[str], None]


def _classes_for(recipe: Recipe) -> ClassInfo:
    if recipe.data is None:
        return scene_classes()
    path = Path(recipe.data) / "classes.json"
    if os.path.lexists(path):
        try:  # a regular file only: a FIFO there would block the run before it starts
            return ClassInfo.from_dict(json.loads(read_regular_bytes(path, CLASSES_LIMIT).decode("utf-8")))
        except NotRegularFileError as exc:
            raise D.DataError(f"{path}: is {exc.kind}, not a classes file; only regular files are read") from None
        except OSError as exc:
            raise D.DataError(f"{path}: cannot read the classes file ({exc.strerror or exc})") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise D.DataError(f"{path}: not a valid classes file ({exc}); expected "
                              '{"classes": [{"name": ..., "color": [r, g, b]}, ...]}') from None
    labels = [D.read_label(lab) for _, lab in D.folder_pairs(Path(recipe.data))]
    top = max(int(lab[lab != 255].max(initial=0)) for lab in labels)
    return generic_classes(top + 1)


def load_data(recipe: Recipe, classes: ClassInfo, log: Log
              ) -> tuple[D.ArrayDataset, D.ArrayDataset, D.ArrayDataset | None]:
    t = time.perf_counter()
    if recipe.data is None:
        count = recipe.synthetic or 0
        train = D.generated_dataset(D.train_seeds(recipe.seed, count), recipe.size, recipe.workers)
        val = D.generated_dataset(D.val_seeds(recipe.seed, recipe.val_count), recipe.size, recipe.workers)
        test_seeds = [D.HELDOUT_SEED_BASE + i for i in range(recipe.test_count)]
        test = D.generated_dataset(test_seeds, recipe.size, recipe.workers) if test_seeds else None
    else:
        full = D.folder_dataset(Path(recipe.data), recipe.size, len(classes), log)
        train, val = D.split_dataset(full, 0.1, recipe.seed)
        test = None
    size = network_size(recipe)
    train, val = D.with_inputs(train, size), D.with_inputs(val, size)
    test = D.with_inputs(test, size) if test is not None else None
    log(f"data: {train.description}; validation: {val.description}"
        + (f"; test: {test.description}" if test else "") + f" ({time.perf_counter() - t:.0f} s)")
    return train, val, test


def _batch(data: D.ArrayDataset, idx: np.ndarray, rng: np.random.Generator, norm: Normalization,
           device: torch.device, scaled: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """A training batch with random horizontal flips (a flip commutes with the resize)."""
    images, labels = data.network_inputs(scaled)[idx].copy(), data.labels[idx].copy()
    flip = rng.random(len(idx)) < 0.5
    images[flip] = images[flip][:, :, ::-1]
    labels[flip] = labels[flip][:, :, ::-1]
    return to_input(images, norm, device), torch.from_numpy(labels).long().to(device)


def _optimizer(model: torch.nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=0.9,
                               weight_decay=recipe.weight_decay)
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    raise ValueError(f"unknown optimizer {recipe.optimizer!r}; expected sgd or adamw")


def _display_path(path: Path) -> str:
    """A path as a command line in the repository root would spell it."""
    from app.paths import ROOT  # noqa: PLC0415

    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _fmt_time(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def train(recipe: Recipe, out: Path, checkpoint: Path, command: str, resume: Path | None = None,
          log: Log = print, extend_to: int | None = None, overwrite: bool = True) -> Path:
    """Run (or continue) a training and write ``out`` (+ its card); returns the weights path.

    A resumed run keeps its stored recipe; ``extend_to`` raises its epoch count, which
    stretches the poly schedule over the new total from the stored iteration on.
    Without ``overwrite``, a file that took the name ``out`` during the training is kept
    and the model is written beside it (``save_model``).
    """
    state = load_training_state(resume) if resume else None
    commands = [command]
    if state is not None:
        stored = Recipe.from_dict(state["recipe"])
        stored.device, stored.threads, stored.workers = recipe.device, recipe.threads, recipe.workers
        recipe = stored
        # checkpoints written before commands were recorded: the equivalent first command
        first = state.get("commands") or [recipe_command(stored, _display_path(out))]
        commands = [*first, command]
        if extend_to is not None and extend_to > recipe.epochs:
            log(f"extending the run from {recipe.epochs} to {extend_to} epochs")
            recipe.epochs = extend_to
        log(f"resuming {resume} after epoch {state['epoch']} of {recipe.epochs}")
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    device = resolve_device(recipe.device)
    classes = _classes_for(recipe)
    norm = Normalization()
    cfg = compact_config(len(classes), recipe.backbone, recipe.base_width)
    layout = training_memory_format(device)
    model = new_model(cfg, recipe.seed).to(device).to(memory_format=layout).train()
    optimizer = _optimizer(model, recipe)
    history: list[dict] = []
    start_epoch, iteration, elapsed = 0, 0, 0.0
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, iteration = int(state["epoch"]), int(state["iteration"])
        history, elapsed = list(state["history"]), float(state.get("elapsed", 0.0))
    train_set, val_set, test_set = load_data(recipe, classes, log)
    per_epoch = len(train_set) // recipe.batch_size
    if per_epoch == 0:
        raise D.DataError(f"{len(train_set)} training images are fewer than one batch of "
                          f"{recipe.batch_size}; lower --batch-size")
    total = per_epoch * recipe.epochs
    log(f"model: {cfg.description}, {sum(p.numel() for p in model.parameters()):,} parameters, "
        f"on {device}; {per_epoch} iterations per epoch, {total} in all")
    t_run = time.perf_counter() - elapsed
    for epoch in range(start_epoch, recipe.epochs):
        rng = np.random.default_rng([recipe.seed, epoch])
        torch.manual_seed(recipe.seed * 1000 + epoch)
        order = rng.permutation(len(train_set))
        # progressive resizing: the first epochs learn at the scenes' own, cheaper size
        scaled = epoch >= recipe.low_res_epochs
        if epoch == recipe.low_res_epochs and epoch > 0:
            log(f"epoch {epoch + 1}: from now on at the network input size "
                f"{train_set.network_inputs().shape[2]}x{train_set.network_inputs().shape[1]}")
        running, t_epoch, t_log = 0.0, time.perf_counter(), time.perf_counter()
        for i in range(per_epoch):
            lr = poly_lr(recipe.lr, iteration, total, recipe.poly_power, recipe.warmup_iters)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x, y = _batch(train_set, order[i * recipe.batch_size:(i + 1) * recipe.batch_size], rng,
                          norm, device, scaled)
            main, aux = forward_train(model, x, recipe.context_dropout, out_size=(int(y.shape[1]), int(y.shape[2])))
            loss = loss_fn(main, aux, y, recipe.aux_weight, classes.ignore_index)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"the loss became {loss.item()} at iteration {iteration}; "
                                         "lower --lr")
            running += loss.item()
            iteration += 1
            now = time.perf_counter()
            if now - t_log > 20 or i == per_epoch - 1:
                rate = (i + 1) / (now - t_epoch)
                eta = (total - iteration) / rate
                log(f"epoch {epoch + 1}/{recipe.epochs} iter {i + 1}/{per_epoch} "
                    f"loss {running / (i + 1):.4f} lr {lr:.2e} {rate * recipe.batch_size:.1f} img/s "
                    f"elapsed {_fmt_time(now - t_run)} ETA {_fmt_time(eta)}")
                t_log = now
        acc = evaluate_arrays(model, val_set, norm, device)
        summary = acc.summary()
        history.append({"epoch": epoch + 1, "loss": round(running / per_epoch, 5),
                        "val_mIoU": round(summary["mIoU"], 5), "seconds": round(time.perf_counter() - t_epoch, 1)})
        log(f"epoch {epoch + 1}: validation mIoU {summary['mIoU']:.4f} allAcc {summary['allAcc']:.4f}")
        save_training_state(checkpoint, {
            "model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
            "iteration": iteration, "recipe": recipe.to_dict(), "architecture": cfg.to_dict(),
            "history": history, "elapsed": time.perf_counter() - t_run, "commands": commands})
        log(f"checkpoint: {checkpoint}")
    wall = time.perf_counter() - t_run
    model = model.to(memory_format=torch.contiguous_format).eval()  # saved weights in plain NCHW
    metrics = final_metrics(model, classes, norm, device, val_set, test_set, log)
    meta = build_meta(cfg, classes, norm, recipe, " && ".join(commands), history, metrics, wall, device)
    path = save_model(out, model.cpu(), meta, overwrite, log)
    log(f"wrote {path} and its card {path.with_suffix('.json')}")
    return path


def save_model(out: Path, model: PSPNet, meta: ModelMeta, overwrite: bool, log: Log) -> Path:
    """``save_native``; without ``overwrite``, when ``out`` (or its card) was taken while the
    model trained (another run that chose the same name), the first free ``<stem>_N`` name:
    hours of training are not thrown away, and the other file is not replaced."""
    candidates = [out, *(out.with_name(f"{out.stem}_{n}{out.suffix}") for n in range(2, 1000))]
    for candidate in candidates if not overwrite else [out]:
        try:
            path = save_native(candidate, model, meta, overwrite=overwrite)
        except FileExistsError:
            continue
        if candidate != out:
            log(f"{out} (or its card) appeared while training; it was kept, and the model written as {path}")
        return path
    raise FileExistsError(f"{out} and {len(candidates) - 1} names beside it are taken; the model was not written")


def final_metrics(model: PSPNet, classes: ClassInfo, norm: Normalization,
                  device: torch.device, val_set: D.ArrayDataset, test_set: D.ArrayDataset | None,
                  log: Log) -> dict:
    """Validation and held-out numbers, with and without the pooled branches."""
    names = classes.names
    val = evaluate_arrays(model, val_set, norm, device)
    out: dict = {"protocol": "fast (whole image at the scene size)",
                 "validation": {**val.summary(), "per_class_iou": per_class(val, names)}}
    target = test_set if test_set is not None else val_set
    which = "test" if test_set is not None else "validation"
    full = evaluate_arrays(model, target, norm, device)
    off = evaluate_arrays(model, target, norm, device, pooled_off=True)
    drop = {n: round(100 * (a - b), 1) for n, a, b in zip(names, full.iou(), off.iou())}
    out[which] = {**full.summary(), "per_class_iou": per_class(full, names), "description": target.description}
    out["pooled_branches_off"] = {"on": which, **off.summary(), "per_class_iou": per_class(off, names),
                                  "iou_drop_points": drop}
    log(f"{which} mIoU {full.summary()['mIoU']:.4f}; pooled branches off {off.summary()['mIoU']:.4f}")
    log("per-class IoU (on / off / drop points): " + ", ".join(
        f"{n} {a:.3f}/{b:.3f}/{d:+.1f}" for n, a, b, d in zip(names, full.iou(), off.iou(), drop.values())))
    out["cpu_ms_per_512px_image"] = cpu_ms_per_image(model, 512, threads=torch.get_num_threads())
    out["cpu_ms_note"] = (f"median of 5 whole-image forwards of a 512x384 input on "
                          f"{torch.get_num_threads()} CPU threads (upsampling and argmax included)")
    model.to(device)
    return out
