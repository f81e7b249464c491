"""The batch ledger's write policy: planned names, resume only of this app's own
outputs, kept edited maps and run files, temporaries, the folder lock, the error log."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from app.engine.batch import plan_jobs, run_batch
from app.engine.ledger import BatchLedger, LedgerError
from app.engine.ledger_names import LOCK_NAME, LOG_NAME, MANIFEST_NAME
from app.engine.segmenter import Segmenter
from app.fileio import temp_path_beside
from tests.helpers import folder_lock_held_elsewhere
from tests.engine_fixtures import folder_snapshot, save_block_photo, varied_loaded


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter(varied_loaded(), "cpu")


def folder_of(tmp_path, names):
    for i, name in enumerate(names):
        save_block_photo(tmp_path / "in" / name, seed=i)
    return tmp_path / "in"


def test_colliding_names_are_resolved_before_writing(tmp_path, segmenter):
    src = folder_of(tmp_path, ["x.jpg", "x_color.jpg", "summary.jpg", "labelmap.png"])
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    stems = {j.source.name: j.stem.name for j in jobs}
    assert stems == {"x.jpg": "x", "x_color.jpg": "x_color_jpg", "summary.jpg": "summary_jpg",
                     "labelmap.png": "labelmap"}
    report = run_batch(jobs, segmenter, out)
    assert report.count("ok") == 4
    with Image.open(out / "x_color.png") as mask, Image.open(out / "x_color_jpg.png") as label_map:
        assert mask.mode == "RGB" and label_map.mode == "P"  # x's colour mask, not x_color's label map
    assert json.loads((out / "summary_jpg.json").read_text())["image"]["path"].endswith("summary.jpg")
    assert json.loads((out / "summary.json").read_text())["counts"]["ok"] == 4  # the run's summary


def test_a_users_run_files_are_kept(tmp_path, segmenter):
    src = folder_of(tmp_path, ["a.jpg"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("my summary")
    (out / "labelmap.txt").write_text("my labels")
    jobs, _ = plan_jobs([src], out)
    report = run_batch(jobs, segmenter, out, overwrite=True)
    assert report.count("ok") == 1 and not report.succeeded
    assert (out / "summary.json").read_text() == "my summary" and (out / "labelmap.txt").read_text() == "my labels"
    assert any("summary.json was not written by this app" in p for p in report.problems)
    assert (out / "summary.csv").is_file()  # the one that was free is written
    again = run_batch(jobs, segmenter, out)  # this app's own summary.csv is replaced on the next run
    assert again.count("skipped") == 1 and (out / "summary.csv").read_text().count("skipped") == 1


def test_resume_adopts_only_this_apps_outputs_for_the_same_settings(tmp_path, segmenter):
    src = folder_of(tmp_path, ["p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg"])
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    settings = segmenter.loaded.meta.protocol("fast")
    assert run_batch(jobs, segmenter, out, ("label", "json"), settings).count("ok") == 4
    before = folder_snapshot(out)
    other = settings.with_overrides(base_size=settings.base_size + 16)
    report = run_batch(jobs, segmenter, out, ("label", "json"), other)
    assert report.count("failed") == 4
    assert all("written with another model or other settings" in r.error and "--overwrite" in r.error
               for r in report.records)
    images = {k: v for k, v in folder_snapshot(out).items() if k.name.startswith("p") and k.name != MANIFEST_NAME}
    assert images == {k: v for k, v in before.items() if k.name.startswith("p") and k.name != MANIFEST_NAME}  # nothing replaced
    # same settings again: all adopted
    assert run_batch(jobs, segmenter, out, ("label", "json"), settings).count("skipped") == 4
    # a user's photo, a folder and a link named like outputs; a source image that changed
    (out / "p0.png").unlink()
    Image.new("RGB", (8, 8)).save(out / "p0.png")
    (out / "p1.json").unlink()
    (out / "p1.json").mkdir()
    (out / "p2.png").unlink()
    (out / "p2.png").symlink_to(src / "p2.jpg")
    save_block_photo(src / "p3.jpg", seed=9)
    report = run_batch(jobs, segmenter, out, ("label", "json"), settings)
    errors = {r.input.rsplit("/", 1)[-1]: r.error for r in report.records}
    assert "was not written by this app" in errors["p0.jpg"] or "has changed" in errors["p0.jpg"]
    assert "is a folder" in errors["p1.jpg"] and "is a symbolic link" in errors["p2.jpg"]
    assert "was written before the image changed" in errors["p3.jpg"]
    assert (out / "p1.json").is_dir() and (out / "p2.png").is_symlink()
    report = run_batch(jobs, segmenter, out, ("label", "json"), settings, overwrite=True)
    assert [r.status for r in report.records] == ["ok", "failed", "ok", "ok"]  # a folder is never replaced
    assert not (out / "p2.png").is_symlink() and (src / "p2.jpg").is_file()


def test_edited_maps_are_kept_even_with_overwrite(tmp_path, segmenter):
    src = folder_of(tmp_path, ["a.jpg", "b.jpg"])
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    run_batch(jobs, segmenter, out)
    record = json.loads((out / "a.json").read_text())
    (out / "a.json").write_text(json.dumps({**record, "edited": True}))
    Image.fromarray(np.zeros((40, 56), np.uint8), "L").save(out / "a.png")  # a person's corrections
    kept = (out / "a.png").read_bytes()
    report = run_batch(jobs, segmenter, out, overwrite=True)
    assert [r.status for r in report.records] == ["skipped", "ok"]
    assert "edited by hand" in report.records[0].notes[0] and "--replace-edited" in report.records[0].notes[0]
    assert (out / "a.png").read_bytes() == kept
    report = run_batch(jobs, segmenter, out, replace_edited=True)
    assert report.records[0].status == "ok" and (out / "a.png").read_bytes() != kept
    assert "edited" not in json.loads((out / "a.json").read_text())


def test_a_rerun_removes_the_temporaries_its_killed_runs_left(tmp_path, segmenter):
    src = folder_of(tmp_path, ["a.jpg"])
    out = tmp_path / "out"
    out.mkdir()
    left = [temp_path_beside(out / "a.png"), temp_path_beside(out / "summary.json")]
    strangers = [out / ".a.png.notmine.tmp", out / ".holiday.tmp"]
    for path in strangers:
        path.write_text("not this app's")
    jobs, _ = plan_jobs([src], out)
    report = run_batch(jobs, segmenter, out)
    assert not any(p.exists() for p in left) and all(p.exists() for p in strangers)
    assert any("removed 2 temporary files" in n for n in report.notes)


def test_long_names_fit_and_too_long_ones_fail_alone(tmp_path, segmenter):
    fits = "f" * 236 + ".jpg"  # NAME_overlay.jpg: 248 bytes; its temporary name would be 262
    too_long = "t" * 246 + ".jpg"  # NAME_overlay.jpg would be 258 bytes
    src = folder_of(tmp_path, [fits, too_long])
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    report = run_batch(jobs, segmenter, out)
    status = {r.input.rsplit("/", 1)[-1]: r for r in report.records}
    assert status[fits].status == "ok", status[fits].error
    assert (out / ("f" * 236 + "_overlay.jpg")).is_file()
    assert status[too_long].status == "failed" and "too long for the file system" in status[too_long].error
    assert not list(out.glob(".*.tmp"))


def test_a_folder_in_use_by_a_live_process_is_refused(tmp_path, segmenter):
    src = folder_of(tmp_path, ["a.jpg"])
    out = tmp_path / "out"
    out.mkdir()
    jobs, _ = plan_jobs([src], out)
    with folder_lock_held_elsewhere(out) as pid:
        with pytest.raises(LedgerError, match=f"in use by another run \\(pid {pid}"):
            run_batch(jobs, segmenter, out)
        assert not (out / "a.png").exists()
    report = run_batch(jobs, segmenter, out)  # its lock file is left, but stale: taken over
    assert report.count("ok") == 1 and any("took over the lock" in n for n in report.notes)
    assert not (out / LOCK_NAME).exists()


def test_the_ledger_is_one_run_at_a_time_in_one_process_too(tmp_path, segmenter):
    out = tmp_path / "out"
    meta = segmenter.loaded.meta
    with BatchLedger.start([], out, meta):
        with pytest.raises(LedgerError, match="in use"):
            BatchLedger.start([], out, meta)
    BatchLedger.start([], out, meta).close()


def test_programming_errors_fail_the_file_and_log_the_traceback(tmp_path, segmenter, monkeypatch):
    src = folder_of(tmp_path, ["a.jpg", "b.jpg"])
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    real = Segmenter.segment

    def broken(self, image, *args, **kwargs):
        if image.shape[1] == 56 and image[0, 0, 0] == broken.first_pixel:
            raise TypeError("a bug in the engine")
        return real(self, image, *args, **kwargs)

    broken.first_pixel = np.asarray(Image.open(src / "a.jpg"))[0, 0, 0]
    monkeypatch.setattr(Segmenter, "segment", broken)
    report = run_batch(jobs, segmenter, out)
    assert [r.status for r in report.records] == ["failed", "ok"]
    assert "TypeError: a bug in the engine" in report.records[0].error and LOG_NAME in report.records[0].error
    log = (out / LOG_NAME).read_text()
    assert "Traceback (most recent call last)" in log and "a bug in the engine" in log and "a.jpg" in log
    assert "Traceback" not in (out / "summary.json").read_text()


def test_after_a_simulated_full_disk_a_rerun_finishes_the_half_written_image(tmp_path, segmenter, monkeypatch):
    import errno

    import app.engine.writers as writers

    src = folder_of(tmp_path, ["a.jpg", "b.jpg"])
    out = tmp_path / "out"
    jobs, _ = plan_jobs([src], out)
    real = writers.overlay_image

    def full(image, labels, classes, *args):
        if image.shape[1] == 56 and not (out / "b_overlay.jpg").exists() and (out / "a_overlay.jpg").exists():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(image, labels, classes, *args)

    monkeypatch.setattr(writers, "overlay_image", full)
    report = run_batch(jobs, segmenter, out, io_threads=1)
    assert [r.status for r in report.records] == ["ok", "failed"]
    assert "No space left on device" in report.records[1].error
    assert (out / "b.png").is_file() and not (out / "b_overlay.jpg").exists()
    monkeypatch.undo()
    label = (out / "b.png").stat().st_mtime_ns
    again = run_batch(jobs, segmenter, out)
    assert [r.status for r in again.records] == ["skipped", "ok"]  # b's finished files were this app's
    assert (out / "b.png").stat().st_mtime_ns == label and (out / "b_overlay.jpg").is_file()


def test_without_flock_the_pid_file_still_guards_the_folder(tmp_path, monkeypatch):
    """Some network file systems refuse flock (ENOLCK): the lock falls back to its pid file."""
    import errno

    import app.engine.ledger_lock as ledger_lock

    def no_flock(*_args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(ledger_lock.fcntl, "flock", no_flock)
    first = ledger_lock.FolderLock(tmp_path, LOCK_NAME)
    first.acquire()
    with pytest.raises(ledger_lock.FolderInUse, match="in use by another run"):
        ledger_lock.FolderLock(tmp_path, LOCK_NAME).acquire()
    first.release()
    (tmp_path / LOCK_NAME).write_text('{"pid": 999999999, "host": "%s"}' % __import__("socket").gethostname())
    stale = ledger_lock.FolderLock(tmp_path, LOCK_NAME)
    stale.acquire()  # a dead pid on this host: taken over
    assert "999999999" in stale.took_over
    stale.release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_foreign_manifest_stops_the_run_and_an_empty_one_is_a_fresh_start(tmp_path, segmenter):
    src = folder_of(tmp_path, ["a.jpg"])
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).write_text("a user's file\n")
    jobs, _ = plan_jobs([src], out)
    with pytest.raises(LedgerError, match="not this app's manifest"):
        run_batch(jobs, segmenter, out)
    assert (out / MANIFEST_NAME).read_text() == "a user's file\n" and not (out / LOCK_NAME).exists()
    (out / MANIFEST_NAME).write_text("")  # a run killed before its first line
    assert run_batch(jobs, segmenter, out).count("ok") == 1
    assert run_batch(jobs, segmenter, out).count("skipped") == 1


@pytest.mark.parametrize("name", [LOCK_NAME, LOG_NAME, MANIFEST_NAME])
def test_a_link_planted_under_a_ledger_files_name_never_writes_the_file_it_names(tmp_path, segmenter,
                                                                                 monkeypatch, name):
    """A folder handed over with ``.pspnet-lock -> ~/.bashrc``: taking the lock truncated the
    file the link named and wrote the owner's pid into it; the error log and the manifest
    appended to theirs."""
    src = folder_of(tmp_path, ["a.jpg"])
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "bashrc"
    victim.write_text("export PATH=...\n")
    (out / name).symlink_to(victim)
    jobs, _ = plan_jobs([src], out)
    if name == LOG_NAME:  # the log is written for a programming error
        monkeypatch.setattr(Segmenter, "segment", lambda *a, **k: (_ for _ in ()).throw(TypeError("a bug")))
    try:
        report = run_batch(jobs, segmenter, out)
    except LedgerError as exc:  # the manifest's link was refused before this audit too
        assert "symbolic link" in str(exc) or (name == MANIFEST_NAME and "is not a file" in str(exc))
    else:
        assert any("symbolic link" in p for p in report.problems) or any(
            "symbolic link" in r.error for r in report.records), (report.problems, report.records)
    assert victim.read_text() == "export PATH=...\n"
