"""The review's label folder names maps of only 0 and 255 once (app.engine.binary_masks)."""

import numpy as np
from PIL import Image

from app.classes import ClassInfo
from app.gui.review.label_source import PairedLabels
from app.labels.pairing import pair_folder


def test_review_folder_says_it_once(tmp_path):
    (tmp_path / "labels").mkdir()
    images = []
    for i in range(3):
        p = tmp_path / f"p{i}.png"
        Image.fromarray(np.full((8, 8, 3), 9, np.uint8)).save(p)
        images.append(p)
        m = np.zeros((8, 8), np.uint8)
        m[:4] = 255
        Image.fromarray(m, "L").save(tmp_path / "labels" / f"p{i}.png")
    said = []
    paired = PairedLabels(said.append)
    paired.set_model_classes(ClassInfo(("bg", "fg"), ((0, 0, 0), (9, 9, 9))))
    paired.set_pairing(pair_folder(tmp_path, images, tmp_path / "labels"))
    views = [paired.result(p) for p in images]
    assert all(v is not None for v in views)
    found = [s for s in said if "only the values 0 and 255" in s]
    assert len(found) == 1, said
