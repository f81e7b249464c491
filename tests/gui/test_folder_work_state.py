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


def test_each_word_has_one_colour_whichever_run_status_says_it(qtbot, tmp_path):
    """A skipped image and a finished one are both "labelled", in the same green; "edited"
    is purple and "failed" red (the colour follows the word shown, not the run's status)."""
    from app.gui.docks import FolderDock
    from app.gui.docks.folder_rows import STATUS_COL, STATUS_COLORS

    folder, out = tmp_path / "photos", tmp_path / "labels"
    folder.mkdir(), out.mkdir()
    paths = [folder / f"{name}.png" for name in ("done", "edited", "failed", "skipped")]
    for path in paths:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)
    for name in ("done", "edited"):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(out / f"{name}.png")
    (out / "edited.json").write_text('{"edited": true}')
    dock = FolderDock()
    qtbot.addWidget(dock)
    dock.set_folder(folder, paths)
    done, edited, failed, skipped = paths
    for path in (done, edited):
        dock.set_label_map(path, out / path.name)
    dock.set_status(done, ItemStatus.DONE)
    dock.set_status(edited, ItemStatus.DONE)
    dock.set_status(failed, ItemStatus.FAILED, "could not read it")
    dock.set_status(skipped, ItemStatus.SKIPPED)  # a run found it done before: its map is not told
    colour = {p.name: dock._items[str(p)].foreground(STATUS_COL).color().name() for p in paths}
    assert {p.name: dock.shown_status(p)[0] for p in paths} == {
        "done.png": "labelled", "edited.png": "edited", "failed.png": "failed", "skipped.png": "labelled"}
    assert colour == {"done.png": STATUS_COLORS["labelled"], "edited.png": STATUS_COLORS["edited"],
                      "failed.png": STATUS_COLORS["failed"], "skipped.png": STATUS_COLORS["labelled"]}
    assert len(set(colour.values())) == 3 and dock.status(skipped) == ItemStatus.SKIPPED
    dock.thumbnails.shutdown(2000)
