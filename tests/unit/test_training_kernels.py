"""Training steps on the CPU kernels users really have, each in its own interpreter.

torch 2.14.1's oneDNN corrupted the heap in the weight gradient of the compact model's
1x1 stride-2 shortcut when training ran in channels_last on an AVX2 CPU: the process died
in ``loss.backward()`` and took pytest with it. oneDNN picks its kernels by the CPU, so a
test on an AVX-512 machine passes whatever the layout; ``ONEDNN_MAX_CPU_ISA`` makes it
run the AVX2 kernels here too (SSE4.1 crashed the same way). A child process turns a crash into a failed
test with the child's last words instead of a dead test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The real train(): its model, its layout, its batches, forward, loss, backward and step.
STEPS = textwrap.dedent("""
    import sys, pathlib
    import torch
    from app.training.recipe import Recipe
    from app.training.train import train
    out = pathlib.Path(sys.argv[1])
    recipe = Recipe(epochs=1, synthetic=16, val_count=4, test_count=4, size=(64, 48),
                    backbone="resnet18", base_width=4, batch_size=4, lr=0.01, warmup_iters=2,
                    workers=1, threads=1, device="cpu", context_dropout=0.1)
    train(recipe, out / "m.safetensors", out / "m.pt", "test", log=lambda line: None)
    print("trained")
""")


@pytest.mark.parametrize("isa", ["AVX2", "default"])
def test_training_steps_survive_the_cpu_kernels(tmp_path, isa):
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_MAX_CPU_ISA"}
    if isa != "default":
        env["ONEDNN_MAX_CPU_ISA"] = isa
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-X", "faulthandler", "-c", STEPS, str(tmp_path)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    last_words = (run.stdout + run.stderr)[-3000:]
    assert run.returncode == 0 and "trained" in run.stdout, \
        f"training on oneDNN's {isa} kernels died (exit {run.returncode}):\n{last_words}"
    assert (tmp_path / "m.safetensors").is_file()


def test_training_keeps_the_plain_layout_on_the_cpu():
    import torch

    from app.training.network import training_memory_format

    assert training_memory_format(torch.device("cpu")) == torch.contiguous_format
