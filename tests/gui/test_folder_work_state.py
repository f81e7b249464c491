"""The folder list's Status column says what each image has: labelled (from any earlier run),
edited by hand, pending (no labels yet) or failed (the reason in the tooltip)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.editing.saving import save_edited
from app.gui.batch import BatchOptions
from app.gui.batch.options import default_output_dir
from app.gui.docks import ItemStatus
from tests.gui.batch_fixtures import make_folder, start_and_wait


def words(window) -> dict[str, str]:
    return {p.name: window.folder.shown_status(p)[0] for p in window.folder.paths()}


def test_a_labelled_folder_reopened_says_labelled_edited_pending_failed(qtbot, window, tmp_path, tiny_loaded):
    from app.gui.main_window import MainWindow

    folder = make_folder(tmp_path, 3, broken=True)
    out = default_output_dir(folder)
    before = words(window) if window.folder.paths() else {}
    assert before == {}
    start_and_wait(qtbot, window, BatchOptions(folder, out))
    assert words(window) == {"empty.png": "failed", "img00.png": "labelled", "img01.png": "labelled",
                             "img02.png": "labelled", "zz_broken.jpg": "failed"}
    start_and_wait(qtbot, window, BatchOptions(folder, out))  # the ledger skips them all
    assert window.folder.status(folder / "img00.png") == ItemStatus.SKIPPED  # the run's own word is kept
    assert words(window)["img00.png"] == "labelled"
    Image.fromarray(np.zeros((96, 128, 3), np.uint8)).save(folder / "new.png")  # not labelled yet

    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert again.viewer.open_folder(folder)
    qtbot.waitUntil(lambda: words(again)["zz_broken.jpg"] == "failed")  # the thumbnail reader's verdict
    assert words(again) == {"empty.png": "failed", "img00.png": "labelled", "img01.png": "labelled",
                            "img02.png": "labelled", "new.png": "pending", "zz_broken.jpg": "failed"}
    assert "not an image file" in again.folder.shown_status(folder / "zz_broken.jpg")[1]
    assert str(out / "img01.png") in again.folder.shown_status(folder / "img01.png")[1]

    again.folder.select(folder / "img01.png")  # shown while its labels are edited and saved
    labels = np.asarray(Image.open(out / "img01.png")).copy()
    labels[:8, :8] = 1
    save_edited(out / "img01", labels, tiny_loaded.meta.classes, str(folder / "img01.png"))  # the editor's save
    assert words(again)["img01.png"] == "labelled"  # the editor says nothing to the list (yet)
    again.folder.tree.setCurrentItem(again.folder._items[str(folder / "img00.png")])  # leaving it looks again
    assert words(again)["img01.png"] == "edited" and words(again)["img00.png"] == "labelled"
    assert "edited by hand" in again.folder.shown_status(folder / "img01.png")[1]
    again.close()
