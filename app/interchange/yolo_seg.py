"""YOLO segmentation (ultralytics): ``images/``, ``labels/NAME.txt``, ``data.yaml``, ``classes.txt``.

One line per connected region: ``class x1 y1 x2 y2 ...``, the region's outer
boundary pixels (polygons.py) divided by the image width and height and
rounded to 6 decimals, as ultralytics' own ``convert_segment_masks_to_yolo_seg``
writes them. Holes are not cut out: lines come largest region first, and
ultralytics' overlap masks draw smaller instances over larger ones, so what
fills a hole is painted over the polygon around it. Ignore (255) pixels are
left out (YOLO has no ignore); inside a hole they read back as the class
around them. Class numbers are the class ids (the model's, or the mapping's).
"""

from __future__ import annotations

import numpy as np

from app.interchange.destination import Staging
from app.interchange.mapping import TargetClasses
from app.interchange.polygons import closed_points, label_regions
from app.interchange.run_folder import IGNORE, LoadedItem


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def polygon_line(value: int, points: list[tuple[int, int]], width: int, height: int) -> str:
    coords = " ".join(f"{round(x / width, 6):.6f} {round(y / height, 6):.6f}" for x, y in closed_points(points))
    return f"{value} {coords}"


class Writer:
    def __init__(self, staging: Staging, targets: TargetClasses) -> None:
        self.staging, self.classes = staging, targets.classes
        self.notes: list[str] = []
        self.ignored = 0

    def add(self, item: LoadedItem, labels: np.ndarray) -> None:
        height, width = labels.shape
        lines = [polygon_line(r.value, r.points, width, height)
                 for r in label_regions(labels, skip=frozenset({IGNORE}))]
        # the photo first: when it cannot be copied (ItemError) the item leaves no label file behind
        if self.staging.copy_photo(f"images/{item.name}", item.image_path, item.image) is None:
            self.notes.append(f"{item.name}: its photo was not found; images/ lacks it")
        self.staging.write_text(f"labels/{item.name}.txt", "".join(f"{line}\n" for line in lines))
        self.ignored += int(np.count_nonzero(labels == IGNORE))

    def finish(self) -> list[str]:
        names = self.classes.names
        # no `path:` key: ultralytics then resolves images/ beside this file, not in its datasets dir
        yaml = ["train: images", "val: images", "names:"]
        yaml += [f"  {i}: {_quoted(name)}" for i, name in enumerate(names)]
        self.staging.write_text("data.yaml", "\n".join(yaml) + "\n")
        self.staging.write_text("classes.txt", "".join(f"{n}\n" for n in names))
        if self.ignored:
            self.notes.append(f"{self.ignored} ignore (255) pixel(s) left out (YOLO has no ignore)")
        return self.notes
