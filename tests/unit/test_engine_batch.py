"""Output files, naming, resume, no-overwrite and cancel of batch runs."""

from __future__ import annotations

import csv
import json
import threading

import numpy as np
import pytest
from PIL import Image

from app.engine.batch import plan_jobs, process_one, run_batch
from app.engine.segmenter import Segmenter
from app.engine.writers import cvat_labelmap, parse_formats
from tests.engine_fixtures import folder_snapshot, save_block_photo, varied_loaded
from tests.image_files import write_odd_files


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter(varied_loaded(), "cpu")


def test_names_mirror_folders_and_never_collide(tmp_path):
    src = tmp_path / "in"
    for name in ("a.jpg", "a.png", "b.jpg", "sub/c.jpg", "sub/deeper/d.png", "A.bmp"):
        save_block_photo(src / name)
    (src / "readme.txt").write_text("x")
    out = tmp_path / "out"
    jobs, problems = plan_jobs([src], out, recursive=True)
    stems = {j.source.relative_to(src).as_posix(): j.stem.relative_to(out).as_posix() for j in jobs}
    assert stems == {"A.bmp": "A_bmp", "a.jpg": "a_jpg", "a.png": "a_png", "b.jpg": "b",
                     "sub/c.jpg": "sub/c", "sub/deeper/d.png": "sub/deeper/d"}
    assert problems == []
    flat, _ = plan_jobs([src], out, recursive=False)
    assert {j.source.name for j in flat} == {"a.jpg", "a.png", "b.jpg", "A.bmp"}
    # the same stem from two folders given as inputs
    save_block_photo(tmp_path / "x" / "p.jpg")
    save_block_photo(tmp_path / "y" / "p.jpg")
    two, _ = plan_jobs([tmp_path / "y" / "p.jpg", tmp_path / "x" / "p.jpg", tmp_path / "nope.jpg"], out)
    assert sorted(j.stem.name for j in two) == ["p_jpg", "p_jpg_2"]
    assert two[0].source.parent.name == "x"  # deterministic: sorted by path
    _, missing = plan_jobs([tmp_path / "nope.jpg"], out)
    assert missing and "nope.jpg" in missing[0]


def test_an_output_folder_that_is_the_input_folder_is_named_as_the_problem(tmp_path):
    """The images were all skipped as an earlier run's outputs, and the user was told that
    there were no images in a folder full of them."""
    save_block_photo(tmp_path / "photos" / "a.jpg")
    jobs, problems = plan_jobs([tmp_path / "photos"], tmp_path / "photos")
    assert jobs == [] and len(problems) == 1
    assert "holds every input image (1, e.g. a.jpg)" in problems[0] and "outside the input folder" in problems[0]
    jobs, problems = plan_jobs([tmp_path / "photos"], tmp_path, recursive=True)  # a parent of the input
    assert jobs == [] and "holds every input image" in problems[0]
    # an earlier run's outputs inside the input folder are still just left out
    save_block_photo(tmp_path / "photos" / "out" / "a.png")
    jobs, problems = plan_jobs([tmp_path / "photos"], tmp_path / "photos" / "out", recursive=True)
    assert [j.source.name for j in jobs] == ["a.jpg"] and problems == []


def test_outputs_are_complete_and_readable(tmp_path, segmenter):
    save_block_photo(tmp_path / "in" / "photo.jpg")
    out = tmp_path / "out"
    jobs, _ = plan_jobs([tmp_path / "in"], out)
    report = run_batch(jobs, segmenter, out)
    assert report.count("ok") == 1
    label = Image.open(out / "photo.png")
    assert label.mode == "P"
    indices = np.asarray(label)
    palette = np.asarray(label.getpalette()[: 5 * 3]).reshape(5, 3)
    assert np.array_equal(palette, segmenter.loaded.meta.classes.palette)
    color = np.asarray(Image.open(out / "photo_color.png"))
    assert np.array_equal(color, palette[indices])
    with Image.open(out / "photo_overlay.jpg") as overlay:
        assert overlay.size == (56, 40)
    record = json.loads((out / "photo.json").read_text())
    assert record["image"]["width"] == 56 and record["image"]["height"] == 40
    fractions = {c["index"]: c["fraction"] for c in record["classes"]}
    assert fractions == {int(i): pytest.approx(float((indices == i).mean()), abs=1e-6) for i in np.unique(indices)}
    assert all(0 < c["mean_confidence"] <= 1 for c in record["classes"])
    labelmap = (out / "labelmap.txt").read_text().splitlines()
    assert labelmap[0] == "# label:color_rgb:parts:actions" and len(labelmap) == 6
    r, g, b = segmenter.loaded.meta.classes.colors[0]
    assert labelmap[1] == f"class 0:{r},{g},{b}::"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["ok"] == 1 and summary["files"][0]["status"] == "ok"
    rows = list(csv.DictReader((out / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[0]["status"] == "ok" and rows[0]["classes"]
    assert not list(out.glob(".*.tmp"))


def test_sixteen_bit_label_map_past_256_classes(tmp_path):
    from app.classes import generic_classes
    from app.engine.writers import label_image
    labels = np.array([[0, 299], [257, 3]], dtype=np.uint16)
    im = label_image(labels, generic_classes(300))
    im.save(tmp_path / "l.png")
    back = Image.open(tmp_path / "l.png")
    assert back.mode.startswith("I") and np.array_equal(np.asarray(back).astype(np.uint16), labels)


def test_resume_and_no_overwrite(tmp_path, segmenter):
    for i in range(3):
        save_block_photo(tmp_path / "in" / f"p{i}.jpg", seed=i)
    out = tmp_path / "out"
    jobs, _ = plan_jobs([tmp_path / "in"], out)
    run_batch(jobs, segmenter, out, formats=("label", "json"))
    before = folder_snapshot(out)
    (out / "p1.json").unlink()  # p1 half done
    (out / "p2.png").write_bytes(b"user edited")  # a user's file: must survive
    report = run_batch(jobs, segmenter, out, formats=("label", "json"))
    # p2.png is not the file this app wrote: kept, and the image reported (not adopted as done)
    assert [r.status for r in report.records] == ["skipped", "ok", "failed"]
    assert "p2.png is in the way" in report.records[2].error and "--overwrite" in report.records[2].error
    after = folder_snapshot(out)
    assert after[out.joinpath("p0.png").relative_to(out)] == before[out.joinpath("p0.png").relative_to(out)]
    assert (out / "p1.json").exists()
    assert (out / "p2.png").read_bytes() == b"user edited"
    report = run_batch(jobs, segmenter, out, formats=("label", "json"), overwrite=True)
    assert report.count("ok") == 3 and (out / "p2.png").read_bytes() != b"user edited"


def test_bad_files_are_reported_and_good_ones_written(tmp_path, segmenter):
    kinds = write_odd_files(tmp_path / "in")
    out = tmp_path / "out"
    jobs, _ = plan_jobs([tmp_path / "in"], out)
    report = run_batch(jobs, segmenter, out, formats=("label",))
    status = {r.input.split("/")[-1]: r for r in report.records}
    for name, kind in kinds.items():
        assert status[name].status == ("ok" if kind == "good" else "failed"), name
        stem = name.rsplit(".", 1)[0]
        assert (out / f"{stem}.png").exists() == (kind == "good")
        if kind == "bad":
            assert name in status[name].error
    rotated = np.asarray(Image.open(out / "rotated.png"))
    assert rotated.shape == (40, 20)  # EXIF orientation applied before segmenting


def test_cancel_leaves_no_partial_files(tmp_path, segmenter):
    for i in range(4):
        save_block_photo(tmp_path / "in" / f"p{i}.jpg", seed=i)
    out = tmp_path / "out"
    jobs, _ = plan_jobs([tmp_path / "in"], out)
    cancel = threading.Event()
    report = run_batch(jobs, segmenter, out, cancel=cancel,
                       on_file=lambda rec: cancel.set() if rec.status == "ok" else None)
    assert report.cancelled and report.count("ok") >= 1 and report.count("cancelled") >= 1
    for rec, job in zip(report.records, jobs):
        files = [p for p in out.iterdir() if p.name.startswith(job.stem.name + ".") or
                 p.name.startswith(job.stem.name + "_")]
        assert len(files) == (4 if rec.status == "ok" else 0), (rec, files)
    assert not list(out.glob(".*tmp"))
    # a cancelled image inside the network: nothing of it is written
    cancel2 = threading.Event()
    cancel2.set()
    with pytest.raises(Exception) as info:
        process_one(jobs[3], segmenter, tmp_path / "o2", cancel=cancel2)
    assert type(info.value).__name__ == "Cancelled" and not (tmp_path / "o2").exists()


def test_formats_and_labelmap_text():
    assert parse_formats("json,label") == ("label", "json")
    with pytest.raises(ValueError, match="mask"):
        parse_formats("label,mask")
    from app.classes import ClassInfo
    assert cvat_labelmap(ClassInfo(("a:b",), ((1, 2, 3),))) == "# label:color_rgb:parts:actions\na_b:1,2,3::\n"
