"""Writes tests/data/opencv_resize_digests.json: what OpenCV's INTER_LINEAR resize makes of
random images, for tests/unit/test_cv_resize.py to compare the app's uint8 resize with
where OpenCV is not installed.

Each entry is an input size, an output size and the first 16 hex digits of the SHA-256 of
``cv2.resize(img, (out_w, out_h), interpolation=cv2.INTER_LINEAR)`` for the image
``numpy.random.default_rng(INDEX).integers(0, 256, (H, W, 3), dtype=uint8)``; the file
names the OpenCV version that made it. Run it with opencv-python-headless installed
(the test extra has it):

    .venv/bin/python tests/data/regenerate_opencv_digests.py

It refuses to replace the file when the digests changed, unless given --replace: a
change means OpenCV's results changed, which the app's resize would then have to follow.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

DIGESTS_FILE = Path(__file__).with_name("opencv_resize_digests.json")
# (input H, W), (output H, W): mmseg's typical shrinks and enlargements, odd and tiny sizes
CASES = [
    ((480, 640), (512, 683)), ((375, 500), (512, 683)), ((1024, 2048), (512, 1024)), ((300, 400), (600, 800)),
    ((333, 517), (512, 795)), ((7, 9), (5, 4)), ((7, 9), (20, 31)), ((2, 3), (9, 9)),
    ((100, 1200), (43, 512)), ((600, 900), (200, 300)), ((513, 777), (512, 776)),
]


def case_image(index: int, height: int, width: int) -> np.ndarray:
    return np.random.default_rng(index).integers(0, 256, (height, width, 3), dtype=np.uint8)


def digest(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()[:16]


def opencv_digests() -> dict:
    import cv2

    cases = []
    for index, ((h, w), (oh, ow)) in enumerate(CASES):
        out = cv2.resize(case_image(index, h, w), (ow, oh), interpolation=cv2.INTER_LINEAR)
        cases.append({"input": [h, w], "output": [oh, ow], "sha256_16": digest(out)})
    return {"opencv": cv2.__version__, "cases": cases}


def read_digests() -> dict:
    return json.loads(DIGESTS_FILE.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replace", action="store_true", help="write the file even when the digests changed")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from app.fileio import atomic_write_bytes

    made = opencv_digests()
    if DIGESTS_FILE.exists():
        old = read_digests()
        if old["cases"] == made["cases"]:
            print(f"OpenCV {made['opencv']} gives the digests in {DIGESTS_FILE.name} (made with {old['opencv']})")
            return 0
        if not args.replace:
            print(f"OpenCV {made['opencv']} gives other digests than {DIGESTS_FILE.name} (made with "
                  f"{old['opencv']}); pass --replace to write them", file=sys.stderr)
            return 1
    atomic_write_bytes(DIGESTS_FILE, (json.dumps(made, indent=1) + "\n").encode())
    print(f"wrote {DIGESTS_FILE} with OpenCV {made['opencv']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
