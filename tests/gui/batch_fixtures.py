"""The Label Folder tests' photo folder, run-and-wait and output count (shared by several test files)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from app.engine.writers import OUTPUT_FORMATS, output_paths
from app.gui.batch import BatchOptions
from tests.gui.conftest import RESULT_TIMEOUT_MS, scene


def make_folder(root: Path, count: int, broken: bool = False, size: tuple[int, int] = (96, 128)) -> Path:
    """``root/photos`` with ``count`` small scenes img00.png...; ``broken`` adds a bad JPEG and an empty PNG."""
    folder = root / "photos"
    folder.mkdir()
    for i in range(count):
        Image.fromarray(scene(i, *size)).save(folder / f"img{i:02d}.png")
    if broken:
        (folder / "zz_broken.jpg").write_bytes(b"this is not a JPEG")
        (folder / "empty.png").write_bytes(b"")
    return folder


def start_and_wait(qtbot, window, options: BatchOptions):
    """Start a Label Folder run in ``window`` and wait until it finishes; returns its report."""
    assert window.batch.start(options)
    run = window.batch.run
    with qtbot.waitSignal(run.finished, timeout=RESULT_TIMEOUT_MS):
        pass
    return run.report


def outputs_state(out: Path, folder: Path, formats=OUTPUT_FORMATS) -> dict[str, int]:
    """Per image, how many of its outputs exist; and no temporary files anywhere."""
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")], "half-written files left"
    return {p.stem: sum(q.exists() for q in output_paths(out / p.stem, formats).values())
            for p in sorted(folder.glob("img*.png"))}
