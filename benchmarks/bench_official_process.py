"""Issue 17, target 2: the official protocol, whole process, against semseg's own test loop.

    python benchmarks/bench_official_process.py --semseg PATH [--photo JPG] [--images 1] [--rounds 3] [--work DIR]

``--semseg`` is a checkout of hszhao/semseg (not shipped with this project). Both sides are
whole child processes timed from start to exit, on the same checkpoint and photo:

- **semseg**: its own ``tool/test.py``, unmodified, run on a test list of the photo(s) (split
  ``test``, so its accuracy pass is skipped; it writes its gray and colour PNGs). The only
  change is made from outside: ``.cuda()`` is a no-op on modules and tensors, because the
  published script moves everything to a GPU and this machine may have none.
- **ours**: ``main.py segment FOLDER --protocol official --formats label,color`` with semseg's test
  settings (base 512, crop 473, scale 1.0, flip), once with ``--backend onnx`` (its graph
  built by a warm-up run first, whose time is printed apart; that run also leaves ONNX
  Runtime's optimised copy of the graph for this CPU in the cache, which the timed runs
  load) and once with ``--backend torch``.

The checkpoint is semseg's own PSPNet-50 (``model/pspnet.py``, 150 classes) with random
weights and varied batch-norm statistics so that the labels vary, saved the way its
``train.py`` saves (``{"epoch", "state_dict"}`` with DataParallel's ``module.`` prefix).
Both write a label and a colour PNG per photo. Rounds are interleaved (semseg, onnx, torch)
and the median is printed, with the label agreement of each of ours against semseg's gray
PNGs, and each process's CPU time (user + system, all its threads): on a machine that other
work shares, wall times move by 2-3x between rounds while CPU times move far less. The default photo is the demo image in semseg's repository
(``figure/demo/ADE_val_00001515.jpg``, 806 x 512: two windows); ``--images N`` runs both on
N same-size variants of it (mirrored, darker), each side one process for all of them: what a
folder pays.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

MAKE_CHECKPOINT = """
import sys, torch
sys.path.insert(0, sys.argv[1])
from model.pspnet import PSPNet
torch.manual_seed(0)
model = PSPNet(layers=50, classes=150, zoom_factor=8, pretrained=False)
for m in model.modules():  # varied statistics, or every pixel gets the same class
    if isinstance(m, torch.nn.BatchNorm2d):
        m.running_mean.uniform_(-0.2, 0.2)
        m.running_var.uniform_(0.5, 1.5)
        m.weight.data.uniform_(0.5, 1.5)
        m.bias.data.uniform_(-0.2, 0.2)
state = {"module." + k: v for k, v in model.state_dict().items()}
torch.save({"epoch": 100, "state_dict": state}, sys.argv[2])
"""

# semseg's test.py as published; only .cuda() is neutralised, from outside, for CPU-only machines
RUN_SEMSEG = """
import runpy, sys, torch
root, config = sys.argv[1], sys.argv[2]
if not torch.cuda.is_available():
    torch.nn.Module.cuda = lambda self, device=None: self
    torch.Tensor.cuda = lambda self, *args, **kwargs: self
sys.path.insert(0, root)
sys.argv = [root + "/tool/test.py", "--config", config]
runpy.run_path(root + "/tool/test.py", run_name="__main__")
"""

CONFIG = """DATA:
  data_root: {data}
  classes: 150
TRAIN:
  arch: psp
  layers: 50
  train_h: 473
  train_w: 473
  zoom_factor: 8
  workers: 0
TEST:
  test_list: {data}/list.txt
  split: test
  base_size: 512
  test_h: 473
  test_w: 473
  scales: [1.0]
  has_prediction: False
  index_start: 0
  index_step: 0
  test_gpu: [0]
  model_path: {checkpoint}
  save_folder: {save}
  colors_path: {semseg}/data/ade20k/ade20k_colors.txt
  names_path: {semseg}/data/ade20k/ade20k_names.txt
"""


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    return f"{cpu}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the child process, start to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command[:3]} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def semseg_command(work: Path, outputs: Path, semseg: Path, checkpoint: Path, run: int) -> tuple[list[str], Path]:
    save = outputs / f"semseg_{run}"
    config = outputs / f"semseg_{run}.yaml"
    config.write_text(CONFIG.format(data=work / "data", checkpoint=checkpoint, save=save, semseg=semseg))
    return [sys.executable, "-c", RUN_SEMSEG, str(semseg), str(config)], save / "gray"


def ours_command(work: Path, outputs: Path, checkpoint: Path, backend: str, run: int) -> tuple[list[str], Path]:
    out = outputs / f"ours_{backend}_{run}"
    # the label and colour PNGs: what semseg's test.py writes (its gray and color folders)
    return ([sys.executable, str(ROOT / "main.py"), "segment", str(work / "data" / "images"), "--out", str(out),
             "--weights", str(checkpoint), "--device", "cpu", "--backend", backend, "--protocol", "official",
             "--base-size", "512", "--crop-size", "473", "--scales", "1.0", "--flip", "--formats", "label,color"],
            out)


def photos(photo: Path, count: int, folder: Path) -> list[str]:
    """``count`` same-size variants of the photo (itself, mirrored, darker, ...): relative names."""
    folder.mkdir(parents=True, exist_ok=True)
    base = np.asarray(Image.open(photo).convert("RGB"))
    names = []
    for i in range(count):
        variant = base[:, ::-1] if i % 2 else base
        variant = np.clip(variant.astype(np.float32) * (1 - 0.08 * (i // 2)), 0, 255).astype(np.uint8)
        name = f"photo_{i}.jpg"
        if not (folder / name).exists():
            Image.fromarray(variant).save(folder / name, quality=95)
        names.append(name)
    return names


def agreement(names: list[str], ours: Path, semseg: Path) -> float:
    """The worst image's share of pixels whose labels equal semseg's."""
    worst = 1.0
    for name in names:
        stem = Path(name).stem
        with Image.open(ours / f"{stem}.png") as a, Image.open(semseg / f"{stem}.png") as b:
            worst = min(worst, float((np.asarray(a) == np.asarray(b)).mean()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--semseg", type=Path, required=True, help="a checkout of hszhao/semseg")
    parser.add_argument("--photo", type=Path, help="default: semseg's figure/demo/ADE_val_00001515.jpg")
    parser.add_argument("--images", type=int, default=1, help="photos per run (variants of the photo)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, help="keep the checkpoint and outputs here (default: a temporary folder)")
    args = parser.parse_args()
    semseg = args.semseg.resolve()
    photo = args.photo or semseg / "figure" / "demo" / "ADE_val_00001515.jpg"
    work = (args.work or Path(tempfile.mkdtemp(prefix="official_process_"))).resolve()
    data = work / "data"
    if data.exists():  # the photos of another --images count would be labelled too
        for old in (data / "images").glob("photo_*.jpg"):
            old.unlink()
    names = photos(photo, args.images, data / "images")
    (data / "list.txt").write_text("".join(f"images/{name}\n" for name in names))
    outputs = work / time.strftime("run-%Y%m%d-%H%M%S")  # each invocation writes its own outputs
    outputs.mkdir()
    checkpoint = work / "train_epoch_100.pth"
    if not checkpoint.exists():
        subprocess.run([sys.executable, "-c", MAKE_CHECKPOINT, str(semseg), str(checkpoint)], check=True)
    with Image.open(photo) as image:
        size = image.size
    print(f"machine: {machine()}; {args.images} photo(s) of {size[0]} x {size[1]}; work {work}")

    warm, _ = ours_command(work, outputs, checkpoint, "onnx", 0)
    print(f"warm-up, --backend onnx (builds or loads the window graph): {timed(warm, ROOT)[0]:.1f} s", flush=True)
    times: dict[str, list[float]] = {"semseg": [], "onnx": [], "torch": []}
    cpu: dict[str, list[float]] = {"semseg": [], "onnx": [], "torch": []}
    agree: dict[str, list[float]] = {"onnx": [], "torch": []}
    for run in range(1, args.rounds + 1):
        command, gray = semseg_command(work, outputs, semseg, checkpoint, run)
        seconds, cpu_seconds = timed(command, work)
        times["semseg"].append(seconds)
        cpu["semseg"].append(cpu_seconds)
        for backend in ("onnx", "torch"):
            command, labels = ours_command(work, outputs, checkpoint, backend, run)
            seconds, cpu_seconds = timed(command, ROOT)
            times[backend].append(seconds)
            cpu[backend].append(cpu_seconds)
            agree[backend].append(agreement(names, labels, gray))
        print(f"round {run}: " + ", ".join(f"{k} {v[-1]:.1f} s (CPU {cpu[k][-1]:.1f} s)" for k, v in times.items())
              + f"; load average {os.getloadavg()[0]:.1f}", flush=True)
    base, base_cpu = statistics.median(times["semseg"]), statistics.median(cpu["semseg"])
    print(f"\nsemseg tool/test.py, whole process: median {base:.1f} s (CPU {base_cpu:.1f} s)")
    for backend in ("onnx", "torch"):
        median, median_cpu = statistics.median(times[backend]), statistics.median(cpu[backend])
        print(f"main.py segment --backend {backend}: median {median:.1f} s = {median / base:.2f}x semseg's time "
              f"(CPU {median_cpu:.1f} s = {median_cpu / base_cpu:.2f}x); "
              f"labels equal to semseg's on {100 * min(agree[backend]):.4f} % of pixels (worst image)")


if __name__ == "__main__":
    main()
