"""Hostile and unlucky datasets for import and export: each bad entry fails alone with a
sentence, nothing hangs, nothing outside the destination is written, and no user file
(a source dataset, a photo, an earlier export) is lost."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from app.interchange import destination
from app.interchange.exporter import export_run
from app.interchange.importer import import_labels
from app.interchange.run_folder import ExportError
from tests.image_files import eps_spy  # noqa: F401 - a fixture
from tests.unit.export_scenes import make_run_folder

OK_SHAPE = {"label": "cat", "points": [[1, 1], [6, 1], [6, 6]], "shape_type": "polygon"}


def labelme_folder(root: Path, bad: dict | list | str, labelmap: bool = True) -> Path:
    """A labelme folder with one good file (ok.json) and ``bad`` as bad.json."""
    root.mkdir()
    if labelmap:
        (root / "labelmap.txt").write_text("cat:10,20,30::\n")
    (root / "ok.json").write_text(json.dumps({"imageHeight": 8, "imageWidth": 8, "shapes": [OK_SHAPE]}))
    (root / "bad.json").write_text(bad if isinstance(bad, str) else json.dumps(bad))
    return root


def document(shape=OK_SHAPE, height=8, width=8) -> dict:
    return {"imageHeight": height, "imageWidth": width, "shapes": [shape], "imageData": None}


@pytest.mark.parametrize("bad, reason", [
    (document(height=200_000, width=200_000), "decompression bomb"),    # was a 37 GB allocation
    (document(height=-5), "not a size"),                                  # was a ValueError crash
    (document(height="8; rm -rf /"), "not two whole numbers"),
    (document({**OK_SHAPE, "points": [[float("nan"), 1], [6, 1], [6, 6]]}), "not a finite number"),
    (document({**OK_SHAPE, "points": [[float("inf"), 1], [6, 1], [6, 6]]}), "not a finite number"),
    (document({**OK_SHAPE, "points": [[3e9, 1], [6, 1], [6, 6]]}), "far outside"),  # PIL wrapped it round
    (document({**OK_SHAPE, "points": [[1, 2, 3], [6, 1], [6, 6]]}), "not an .x, y. pair"),  # was a crash
    (document({**OK_SHAPE, "points": "1,2"}), "not a list"),
    (document("a shape"), "not an object"),                               # was an AttributeError
    ({**document(), "shapes": {"0": OK_SHAPE}}, "'shapes' is not a list"),
    ([1, 2], "not a labelme file"),
])
def test_a_hostile_labelme_file_fails_alone(tmp_path, bad, reason):
    src = labelme_folder(tmp_path / "lm", bad)
    report = import_labels("labelme", src, tmp_path / "out")
    assert report.exported == ["ok"]
    assert len(report.failures) == 1 and "bad.json" in report.failures[0]
    assert __import__("re").search(reason, report.failures[0]), report.failures[0]
    assert (tmp_path / "out" / "ok.png").is_file() and not (tmp_path / "out" / "bad.png").exists()


def test_a_corrupt_labelme_file_without_a_labelmap_fails_alone(tmp_path):
    # the classes are collected from every file first; one corrupt file stopped the whole import
    src = labelme_folder(tmp_path / "lm", "{not json", labelmap=False)
    report = import_labels("labelme", src, tmp_path / "out")
    assert report.exported == ["ok"]
    assert len(report.failures) == 1 and "bad.json: not a labelme file" in report.failures[0]


def coco_folder(root: Path, images: list, annotations: list | None = None) -> Path:
    (root / "annotations").mkdir(parents=True)
    doc = {"images": [{"id": 1, "file_name": "ok.jpg", "width": 4, "height": 4}, *images],
           "categories": [{"id": 1, "name": "cat"}], "annotations": annotations or []}
    (root / "annotations" / "instances_default.json").write_text(json.dumps(doc))
    return root


@pytest.mark.parametrize("image, reason", [
    ({"file_name": "big.jpg", "width": 300_000, "height": 300_000}, "decompression bomb"),  # was 84 GB
    ({"file_name": "neg.jpg", "width": -3, "height": 4}, "not a size"),
    ({"file_name": "../../escape.jpg", "width": 4, "height": 4}, "points outside the dataset"),
    ({"file_name": "/tmp/absolute.jpg", "width": 4, "height": 4}, "points outside the dataset"),
    ({"file_name": "", "width": 4, "height": 4}, "not a file name"),      # was a ValueError crash
    ({"file_name": "sub\\..\\..\\x.jpg", "width": 4, "height": 4}, "points outside the dataset"),
])
def test_a_hostile_coco_image_entry_fails_alone(tmp_path, image, reason):
    src = coco_folder(tmp_path / "coco", [{"id": 2, **image}])
    report = import_labels("coco", src, tmp_path / "out")
    assert report.exported == ["ok"]
    assert len(report.failures) == 1 and reason in report.failures[0], report.failures
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.png"))
    assert written == ["out/ok.png"]  # nothing beside or above the destination


@pytest.mark.parametrize("segmentation, reason", [
    ({"size": [100_000, 100_000], "counts": [0, 10 ** 10]}, "decompression bomb"),  # decoded before its size was checked
    ({"size": [4, 4], "counts": [0, 17]}, "RLE runs cover 17 pixels"),
    ({"counts": [0, 16]}, "no \\[height, width\\] size"),
    ([[float("nan"), 0, 1, 1, 2, 0]], "not a finite number"),             # was drawn as if valid
    ([[1e308, 0, 1, 1, 2, 0]], "far outside"),
    ([[0, 0, 1, 1, 2]], "odd number"),
    ("a string", "unknown segmentation"),
])
def test_a_hostile_coco_annotation_fails_its_image(tmp_path, segmentation, reason):
    src = coco_folder(tmp_path / "coco", [{"id": 2, "file_name": "two.jpg", "width": 4, "height": 4}],
                      [{"id": 9, "image_id": 2, "category_id": 1, "segmentation": segmentation}])
    report = import_labels("coco", src, tmp_path / "out")
    assert report.exported == ["ok"]
    assert len(report.failures) == 1 and "annotation 9" in report.failures[0]
    assert __import__("re").search(reason, report.failures[0]), report.failures[0]


def test_two_entries_with_one_name_keep_the_first_and_report_the_second(tmp_path):
    # a.jpg and a.png both become a.png: the second silently replaced the first
    src = coco_folder(tmp_path / "coco", [{"id": 2, "file_name": "ok.png", "width": 4, "height": 4}],
                      [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"size": [4, 4], "counts": [0, 16]}}])
    report = import_labels("coco", src, tmp_path / "out")
    assert report.exported == ["ok"] and len(report.failures) == 1
    assert "already written under this name" in report.failures[0]
    from app.engine.imageio import read_label_map
    assert (read_label_map(tmp_path / "out" / "ok.png") != 255).all()  # the first entry's: all 'cat', not unlabelled


def test_a_coco_file_that_is_not_one_is_a_sentence(tmp_path):
    src = tmp_path / "x.json"
    for content, reason in [({"images": {"a": 1}, "categories": []}, "'images' is not a list"),
                            ({"images": [], "categories": [{"name": "no id"}]}, "category id None"),
                            ("\xff\xfe binary", "not UTF-8 text")]:
        src.write_bytes(content.encode("latin-1") if isinstance(content, str) else json.dumps(content).encode())
        with pytest.raises(ExportError, match=reason):
            import_labels("coco", src, tmp_path / "out")


def finishes(call, seconds: float = 20.0):
    """Runs ``call`` in a thread; returns its outcome, or fails if it is still blocked."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcome["error"] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread, outcome


def unblock(fifo: Path) -> None:
    """A reader blocked on ``fifo`` (the bug) gets its writer and EOF, so the thread ends."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.mark.parametrize("where", ["labelme", "coco", "voc-list", "mapping"])
def test_a_fifo_where_a_text_file_is_expected_fails_fast(tmp_path, where):
    if where == "labelme":
        src = labelme_folder(tmp_path / "lm", document())
        fifo = src / "pipe.json"
        call = lambda: import_labels("labelme", src, tmp_path / "out")  # noqa: E731
    elif where == "coco":
        (tmp_path / "coco" / "annotations").mkdir(parents=True)
        src, fifo = tmp_path / "coco", tmp_path / "coco" / "annotations" / "instances.json"
        call = lambda: import_labels("coco", src, tmp_path / "out")  # noqa: E731
    elif where == "voc-list":
        make_run_folder(tmp_path, seeds=(1,), subfolder=False)
        export_run(tmp_path / "run", "voc", tmp_path / "voc")
        fifo = tmp_path / "voc" / "ImageSets" / "Segmentation" / "extra.txt"
        call = lambda: import_labels("voc", tmp_path / "voc", tmp_path / "out")  # noqa: E731
    else:
        make_run_folder(tmp_path, seeds=(1,), subfolder=False)
        fifo = tmp_path / "mapping.txt"
        call = lambda: export_run(tmp_path / "run", "voc", tmp_path / "out", mapping=fifo)  # noqa: E731
    os.mkfifo(fifo)
    thread, outcome = finishes(call)
    unblock(fifo)
    assert not thread.is_alive(), "reading a FIFO blocked the import"
    text = str(outcome.get("error", "")) + " ".join(getattr(outcome.get("value"), "failures", []))
    assert "named pipe" in text and fifo.name in text


@pytest.mark.parametrize("where", ["run-folder", "voc", "labelme"])
def test_a_fifo_labelmap_txt_is_named_not_taken_for_none(tmp_path, where):
    """labelmap.txt was looked at with is_file() first: a FIFO there was silently no class list
    (a run folder 'has no labelmap.txt', a VOC dataset got VOC's 21 classes, labelme's the
    order of first appearance). It is read as a regular file and named for what it is."""
    make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    if where == "run-folder":
        folder = tmp_path / "run"
        call = lambda: export_run(folder, "voc", tmp_path / "out")  # noqa: E731
    else:
        export_run(tmp_path / "run", where, tmp_path / where)
        folder = tmp_path / where
        call = lambda: import_labels(where, folder, tmp_path / "out")  # noqa: E731
    (folder / "labelmap.txt").unlink()
    os.mkfifo(folder / "labelmap.txt")
    thread, outcome = finishes(call)
    unblock(folder / "labelmap.txt")
    assert not thread.is_alive(), "reading the FIFO labelmap.txt blocked"
    assert isinstance(outcome.get("error"), ExportError), outcome
    assert "labelmap.txt: is a named pipe (FIFO), not a regular file" in str(outcome["error"])
    assert not (tmp_path / "out").exists()


def test_an_import_never_replaces_the_folder_holding_its_source(tmp_path):
    # `import --format coco data/x.json --dest data --overwrite` deleted the COCO file and its photos
    src = coco_folder(tmp_path / "data", [])
    source_file = src / "annotations" / "instances_default.json"
    with pytest.raises(ExportError, match="must not be inside the source"):
        import_labels("coco", source_file, src, overwrite=True)
    assert source_file.is_file()


def test_an_export_never_replaces_the_folder_holding_its_photos(tmp_path):
    make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    (tmp_path / "photos" / "keep.txt").write_text("the user's notes")
    with pytest.raises(ExportError, match="holds .*an input of this export"):
        export_run(tmp_path / "run", "labelme", tmp_path / "photos", overwrite=True)
    assert (tmp_path / "photos" / "keep.txt").is_file() and (tmp_path / "photos" / "scene_1.png").is_file()


def test_a_photo_that_is_not_a_regular_file_fails_its_item_only(tmp_path):
    staging = destination.Staging(tmp_path / "out")
    os.mkfifo(tmp_path / "photo.png")  # swapped in after the reader checked the photo
    with pytest.raises(destination.ItemError, match="named pipe"):
        staging.copy_photo("photo", tmp_path / "photo.png", np.zeros((2, 2, 3), np.uint8))
    staging.discard()


def test_a_full_disk_during_export_leaves_no_half_dataset_and_the_old_one_intact(tmp_path, monkeypatch):
    make_run_folder(tmp_path)
    assert export_run(tmp_path / "run", "cvat-mask", tmp_path / "out").failures == []
    before = {p.relative_to(tmp_path / "out"): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    real_write, calls = destination.Staging.write_bytes, []

    def write_until_full(self, relative, data):
        calls.append(relative)
        if len(calls) == 2:
            with open(self.path(relative), "wb") as half:
                half.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, relative, data)
    monkeypatch.setattr(destination.Staging, "write_bytes", write_until_full)
    with pytest.raises(OSError, match="No space left"):
        export_run(tmp_path / "run", "cvat-mask", tmp_path / "out", overwrite=True)
    after = {p.relative_to(tmp_path / "out"): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "photos", "run"]  # no staging left


def test_a_failed_publish_puts_the_previous_export_back(tmp_path, monkeypatch):
    make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    export_run(tmp_path / "run", "voc", tmp_path / "out")
    real_replace = os.replace

    def replace(src, dst):
        if ".partial-" in str(src):  # the new export's rename into place
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)
    monkeypatch.setattr(destination.os, "replace", replace)
    with pytest.raises(OSError, match="Input/output"):
        export_run(tmp_path / "run", "voc", tmp_path / "out", overwrite=True)
    assert (tmp_path / "out" / "labelmap.txt").is_file()  # it was left under a hidden .old- name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "photos", "run"]


def test_a_folder_symlink_loop_in_a_run_folder_ends(tmp_path):
    make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    (tmp_path / "run" / "loop").symlink_to(tmp_path / "run", target_is_directory=True)
    thread, outcome = finishes(lambda: export_run(tmp_path / "run", "yolo-seg", tmp_path / "out"))
    assert not thread.is_alive() and outcome["value"].exported == ["scene_1"]


def test_an_archive_given_as_the_dataset_is_named_not_opened(tmp_path):
    # a CVAT export is a .zip; archives are not extracted (no zip-slip), and the user is told so
    make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    export_run(tmp_path / "run", "cvat-mask", tmp_path / "cvat.zip")
    with pytest.raises(ExportError, match="is a ZIP archive; cvat-mask labels are imported from their folder"):
        import_labels("cvat-mask", tmp_path / "cvat.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_labelme_image_data_is_never_decoded(tmp_path, eps_spy):
    """Guard (held before this audit too): imageData is ignored, so a PostScript payload in it
    never reaches PIL, let alone Ghostscript."""
    import base64

    from tests.image_files import hostile_postscript
    payload = base64.b64encode(hostile_postscript(tmp_path / "pwned")).decode()
    src = labelme_folder(tmp_path / "lm", {**document(), "imageData": payload})
    report = import_labels("labelme", src, tmp_path / "out")
    assert sorted(report.exported) == ["bad", "ok"] and eps_spy == [] and not (tmp_path / "pwned").exists()


def test_an_export_never_copies_a_photo_the_reader_refused(tmp_path, eps_spy):
    """Guard (held before too): a PostScript file named .png as a run's photo fails its item;
    its bytes are not copied into a dataset another tool would decode."""
    from tests.image_files import hostile_postscript
    make_run_folder(tmp_path, seeds=(1,), subfolder=False)
    (tmp_path / "photos" / "scene_1.png").write_bytes(hostile_postscript(tmp_path / "pwned"))
    report = export_run(tmp_path / "run", "labelme", tmp_path / "out")
    assert report.exported == [] and "PostScript" in report.failures[0]
    assert eps_spy == [] and not (tmp_path / "out").exists() and not (tmp_path / "pwned").exists()


def test_a_name_the_file_system_refuses_fails_its_entry_only(tmp_path):
    # a 300-byte file_name stopped the whole import with "File name too long"
    src = coco_folder(tmp_path / "coco", [{"id": 2, "file_name": "x" * 300 + ".jpg", "width": 4, "height": 4}])
    report = import_labels("coco", src, tmp_path / "out")
    assert report.exported == ["ok"] and len(report.failures) == 1
    assert "the file system refuses this name" in report.failures[0]


def test_label_names_are_written_so_that_labelmap_txt_reads_them_back(tmp_path):
    """A line break in a label gave labelmap.txt a line that is no class (the label folder could
    not be opened); a leading '#' made the class a comment and moved every later index up one."""
    from app.interchange.run_folder import read_labelmap
    src = tmp_path / "lm"
    src.mkdir()
    shapes = [{"label": name, "points": [[0, k], [3, k], [3, k]], "shape_type": "polygon"}
              for k, name in enumerate(["car\nred", "#1 road", "sky"])]
    (src / "a.json").write_text(json.dumps({"imageHeight": 4, "imageWidth": 4, "shapes": shapes}))
    report = import_labels("labelme", src, tmp_path / "out")
    assert report.exported == ["a"]
    assert read_labelmap(tmp_path / "out" / "labelmap.txt").names == ("car red", "_#1 road", "sky")
    assert any("'car\\nred' is written as 'car red'" in note for note in report.notes)


def test_import_renames_by_the_export_rule_and_notes_every_rename(tmp_path):
    """The importer cleaned names by a rule of its own that missed U+2028 and repeats: the
    labelmap.txt writer then renamed those once more, silently ('a_b' became 'a_b_2', 'x\u2028y'
    'x y' without a note). One rule now: what the notes say is what labelmap.txt holds."""
    from app.engine.writers import labelmap_names
    from app.interchange.importer import RENAMED_WHY
    from app.interchange.run_folder import read_labelmap
    src = tmp_path / "lm"
    src.mkdir()
    labels = ["a:b", "a_b", "x\u2028y", "sky", "para\u2029graph"]
    shapes = [{"label": name, "points": [[0, k], [3, k], [3, k]], "shape_type": "polygon"}
              for k, name in enumerate(labels)]
    (src / "a.json").write_text(json.dumps({"imageHeight": 8, "imageWidth": 8, "shapes": shapes}))
    report = import_labels("labelme", src, tmp_path / "out")
    written = read_labelmap(tmp_path / "out" / "labelmap.txt").names
    assert written == labelmap_names(labels) == ("a_b", "a_b_2", "x y", "sky", "para graph")
    noted = [note for note in report.notes if "is written as" in note]
    assert noted == [f"label {old!r} is written as {new!r} ({RENAMED_WHY})"
                     for old, new in zip(labels, written) if old != new]
    assert len(noted) == 4


@pytest.mark.parametrize("fmt", ["cvat-mask", "yolo-seg", "labelme", "coco"])  # voc re-encodes PNGs as JPEG
def test_an_item_whose_photo_cannot_be_copied_leaves_nothing_of_it(tmp_path, fmt, monkeypatch):
    make_run_folder(tmp_path, seeds=(1, 2), subfolder=False)
    real_open = destination.open_regular

    def photo_swapped_for_a_fifo(path):
        if Path(path).name == "scene_2.png":
            raise destination.NotRegularFileError(Path(path), "a named pipe (FIFO)")
        return real_open(path)
    monkeypatch.setattr(destination, "open_regular", photo_swapped_for_a_fifo)
    report = export_run(tmp_path / "run", fmt, tmp_path / "out")
    assert report.exported == ["scene_1"] and "named pipe" in report.failures[0]
    left = [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*scene_2*")]
    assert left == []  # no mask, label file or annotation of the failed item
