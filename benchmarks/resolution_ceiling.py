"""How much mIoU an output-stride-8 network can reach on the generated scenes at all.

    python benchmarks/resolution_ceiling.py [--count 300] [--scales 1 1.25 1.5 2]

PSPNet predicts on a grid 8 times coarser than its input and upsamples the logits
bilinearly. This measures a *perfect* such predictor on the held-out scenes (seeds from
10,000,000): the true one-hot labels at the network's input size (the scene resized by
each scale, nearest), averaged over 8 x 8 cells (the best a cell can say about its area),
upsampled bilinearly back to the scene and argmaxed. No network is involved.

A trained model can beat this a little (its logits are sharper than area averages), but
it shows where the scene size, not the model, caps the score: thin trees and people a
few pixels wide span one feature cell. It is why the shipped model sees the scenes at
1.5x (`train --input-scale 1.5`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from app.engine.metrics import IoUAccumulator  # noqa: E402
from app.training.data import HELDOUT_SEED_BASE, generated_dataset  # noqa: E402
from app.training.scenes import scene_classes  # noqa: E402


def ceiling(labels: np.ndarray, num_classes: int, scale: float, stride: int = 8) -> IoUAccumulator:
    acc = IoUAccumulator(num_classes)
    height, width = labels.shape[1:]
    size = (int(round(height * scale)), int(round(width * scale)))
    for label in labels:
        one_hot = F.one_hot(torch.from_numpy(label).long(), num_classes).permute(2, 0, 1)[None].float()
        seen = F.interpolate(one_hot, size=size, mode="nearest")
        cells = F.avg_pool2d(seen, stride, ceil_mode=True)
        # a large factor makes the averages behave like confident logits
        up = F.interpolate(cells * 10, size=(height, width), mode="bilinear", align_corners=False)
        acc.add(up.argmax(1)[0].numpy(), label)
    return acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 1.25, 1.5, 2.0])
    args = parser.parse_args()
    classes = scene_classes()
    data = generated_dataset([HELDOUT_SEED_BASE + i for i in range(args.count)], (448, 160), workers=2)
    print(f"{args.count} held-out scenes, 448x160; a perfect output-stride-8 predictor, per input scale:")
    print("scale  mIoU   " + " ".join(f"{n[:8]:>8}" for n in classes.names))
    for scale in args.scales:
        acc = ceiling(data.labels, len(classes), scale)
        print(f"{scale:5.2f}  {100 * acc.summary()['mIoU']:5.2f}  "
              + " ".join(f"{100 * v:8.1f}" for v in acc.iou()))


if __name__ == "__main__":
    main()
