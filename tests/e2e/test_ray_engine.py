"""`segment --engine ray` on a local Ray instance (2 CPUs) against the local engine.

The Ray instance starts once for the module; the tiny model and the image folder
are module-scoped too, so the file stays well under a minute and a half.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.checkpoints import load_checkpoint
from app.engine.batch import plan_jobs, run_batch
from app.engine.ledger_names import MANIFEST_NAME
from app.engine.segmenter import Segmenter
from tests.engine_fixtures import block_image
from tests.helpers import save_tiny_weights
from tests.image_files import write_odd_files

pytestmark = pytest.mark.cluster

TIMING = "seconds"  # the only fields allowed to differ between the engines
WORKER_THREADS = 1


@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray")
    from app.cluster.ray_engine import start_local_ray

    start_local_ray(2)  # ray.init(num_cpus=2, ...) with workers at the priority of the tests
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    return save_tiny_weights(tmp_path_factory.mktemp("weights"))


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    for i in range(10):
        image = Image.fromarray(block_image(40 + 8 * (i % 3), 56 + 4 * i, seed=i))
        if i % 2:
            image.save(folder / f"b{i}.jpg", quality=92)
        else:
            image.save(folder / f"b{i}.png")
    return folder


@pytest.fixture(scope="module")
def reference(images, weights, tmp_path_factory) -> Path:
    """The local engine's outputs on the same folder, computed with the torch thread
    count of the Ray workers (2 workers on 2 CPUs: 1 each). With another thread count
    the float sums run in another order and a mean confidence in NAME.json can differ
    in its 6th decimal (seen here); labels and images are the same either way."""
    import torch

    out = tmp_path_factory.mktemp("local") / "out"
    jobs, problems = plan_jobs([images], out)
    assert not problems
    loaded = load_checkpoint(weights)
    threads = torch.get_num_threads()
    torch.set_num_threads(WORKER_THREADS)
    try:
        report = run_batch(jobs, Segmenter(loaded, "cpu"), out)
    finally:
        torch.set_num_threads(threads)
    assert report.count("ok") == 10
    return out


@pytest.fixture(scope="module")
def crash_marker(tmp_path_factory) -> Path:
    """While this file is absent, the worker that gets b5.jpg exits abruptly (once:
    it re-creates the file as it dies). Present, i.e. disarmed, by default."""
    marker = tmp_path_factory.mktemp("hook") / "crashed"
    marker.write_text("disarmed\n")
    return marker


@pytest.fixture(scope="module")
def engine(ray_instance, weights, crash_marker):
    """Two workers holding both CPUs of the instance, shared by the tests (their model
    loads once); a test that needs the CPUs for another pool shuts this one down and
    the next run tops it up again."""
    from app.cluster.ray_engine import RayEngine, RayOptions
    from app.cluster.ray_worker import CRASH_HOOK_ENV

    options = RayOptions(workers=2, batch_size=2, worker_env={CRASH_HOOK_ENV: f"b5.jpg|{crash_marker}"})
    with RayEngine(weights, options) as eng:
        eng.warm_up(60)  # both workers take part (else the first one up may do everything)
        yield eng


def run(engine, images: Path, weights: Path, out: Path, **kw):
    jobs, _ = plan_jobs([images], out)
    return engine.run(jobs, out, load_checkpoint(weights).meta, **kw)


def without_timing(value):
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k != TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def assert_same_outputs(out: Path, reference: Path, retried: set[str] = frozenset(),
                        summaries: bool = True) -> None:
    """Images byte-identical, JSON equal but for timings (and 'retried' notes)."""
    names = sorted(p.name for p in reference.iterdir())
    assert sorted(p.name for p in out.iterdir()) == names  # no temporaries, no probe, nothing extra
    for name in names:
        if name.startswith("summary.") and not summaries:
            continue
        mine, theirs = (out / name).read_bytes(), (reference / name).read_bytes()
        if name == MANIFEST_NAME:  # the same images, identity and file sizes; times differ
            assert _manifest_facts(mine) == _manifest_facts(theirs)
        elif name.endswith(".json"):
            a, b = without_timing(json.loads(mine)), without_timing(json.loads(theirs))
            if name == "summary.json":
                a, b = _drop_retry_notes(a, retried), _drop_retry_notes(b, set())
                b["out_dir"] = a["out_dir"]
            assert a == b, name
        elif name == "summary.csv":
            rows = [list(csv.reader(io.StringIO(t.decode()))) for t in (mine, theirs)]
            assert [r[:2] + r[3:] for r in rows[0]] == [r[:2] + r[3:] for r in rows[1]]
        else:
            assert mine == theirs, name


def _manifest_facts(text: bytes) -> list:
    facts = []
    for line in text.decode().splitlines():
        entry = json.loads(line)
        if "run_file" in entry:
            continue  # the summaries differ in their timings
        if "files" in entry:
            entry["files"] = {fmt: value[0] for fmt, value in entry["files"].items()}  # the names
        facts.append(entry)
    return sorted(facts, key=json.dumps)


RECOVERED_NOTE = "written by a worker that was lost before it reported"


def _drop_retry_notes(summary: dict, retried: set[str]) -> dict:
    """Without the notes a lost worker leaves: 'retried' on the images it held, and, on one it had
    written whole but not reported yet (a matter of timing), the recovery's note."""
    for rec in summary["files"]:
        if Path(rec["input"]).name in retried:
            assert any("retried after its worker was lost" in n for n in rec["notes"]), rec
            rec["notes"] = [n for n in rec["notes"] if "retried" not in n]
        rec["notes"] = [n for n in rec["notes"] if n != RECOVERED_NOTE]
    return summary


def test_same_outputs_as_the_local_engine(engine, images, weights, reference, tmp_path):
    report = run(engine, images, weights, tmp_path / "out")
    assert report.count("ok") == 10 and not report.cancelled
    assert engine.plan.threads == WORKER_THREADS
    assert [s.done > 0 for s in engine.pool.slots] == [True, True]
    assert_same_outputs(tmp_path / "out", reference)
    labels = np.array(Image.open(tmp_path / "out" / "b3.png"))
    assert len(np.unique(labels)) > 1  # a lively model: equality above means something


def test_a_worker_killed_mid_run_loses_nothing(engine, images, weights, reference, crash_marker, tmp_path):
    crash_marker.unlink()  # arm: the worker that gets b5.jpg dies (os._exit) before writing it
    lost_before = len(engine.pool.problems)
    report = run(engine, images, weights, tmp_path / "out")
    assert "exited on b5.jpg" in crash_marker.read_text()  # a worker really died on it
    assert report.count("ok") == 10, [r.error for r in report.failures]
    problems = engine.pool.problems[lost_before:]
    assert len(problems) == 1 and "was lost" in problems[0]
    retried = {Path(r.input).name for r in report.records if any("retried" in n for n in r.notes)}
    assert "b5.jpg" in retried  # b5 and whatever else that worker held
    assert_same_outputs(tmp_path / "out", reference, retried)
    assert len(engine.pool.alive()) == 2  # a replacement was started


def test_an_image_that_kills_every_worker_is_a_failure_with_the_reason(engine, images, weights, reference,
                                                                      crash_marker, tmp_path):
    folder = crash_marker.parent
    crash_marker.unlink()
    folder.rmdir()
    folder.write_text("a file where the marker's folder was: the marker cannot be written")
    try:  # now every worker that gets b5.jpg dies, every time
        report = run(engine, images, weights, tmp_path / "out")
    finally:
        folder.unlink()
        folder.mkdir()
        crash_marker.write_text("disarmed\n")
    failed = {Path(r.input).name: r.error for r in report.failures}
    assert list(failed) == ["b5.jpg"] and report.count("ok") == 9
    assert "its Ray worker was lost 3 times" in failed["b5.jpg"] and "worker process has died" in failed["b5.jpg"]
    assert not list((tmp_path / "out").glob("b5*")) and not list((tmp_path / "out").glob(".*"))
    for name in ("b4.png", "b6.png"):  # neighbours are right (a retried image goes alone to a worker)
        assert (tmp_path / "out" / name).read_bytes() == (reference / name).read_bytes()


def test_resume_after_an_interrupted_run(engine, images, weights, reference, tmp_path):
    out = tmp_path / "out"
    cancel = threading.Event()
    seen = []

    def stop_after_three(record):
        seen.append(record)
        if len(seen) == 3:
            cancel.set()

    first = run(engine, images, weights, out, cancel=cancel, on_file=stop_after_three)
    assert first.cancelled and first.count("ok") >= 3 and first.count("cancelled") >= 1
    assert not list(out.glob(".*"))  # no temporary file of the images dropped in flight
    written = {p.name: p.stat().st_mtime_ns for p in out.glob("b*")}
    second = run(engine, images, weights, out)
    done_before = {Path(r.input).stem for r in first.records if r.status == "ok"}
    assert {Path(r.input).stem for r in second.records if r.status == "skipped"} >= done_before
    assert second.count("ok") + second.count("skipped") == 10
    assert all((out / name).stat().st_mtime_ns == stamp for name, stamp in written.items()
               if name.split("_")[0].split(".")[0] in done_before)  # finished files untouched
    assert_same_outputs(out, reference, summaries=False)  # the summaries say 'skipped' for the first part
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["skipped"] == second.count("skipped") and summary["counts"]["failed"] == 0


def test_the_ledger_rules_hold_on_ray_too(engine, images, weights, tmp_path):
    """Foreign files and a user's run file are kept, edited maps too; stale temporaries go."""
    from app.fileio import temp_path_beside

    out = tmp_path / "out"
    out.mkdir()
    Image.new("RGB", (8, 8)).save(out / "b0.png")  # a user's photo named like an output
    (out / "summary.json").write_text("my summary")
    stale = temp_path_beside(out / "b1.png")  # left by a killed run
    report = run(engine, images, weights, out)
    failed = {Path(r.input).name: r.error for r in report.failures}
    assert list(failed) == ["b0.png"] and "is in the way" in failed["b0.png"] and report.count("ok") == 9
    assert (out / "summary.json").read_text() == "my summary" and report.problems and not stale.exists()
    record = json.loads((out / "b2.json").read_text())
    (out / "b2.json").write_text(json.dumps({**record, "edited": True}))
    again = run(engine, images, weights, out, overwrite=True)
    statuses = {Path(r.input).name: r.status for r in again.records}
    assert statuses["b2.png"] == "skipped" and statuses["b0.png"] == "ok" and again.count("ok") == 9
    assert json.loads((out / "b2.json").read_text())["edited"] is True


def test_cli_good_and_bad_files(engine, weights, tmp_path, capsys):
    from app.cli import main

    engine.pool.shutdown()  # free the instance's 2 CPUs for the command's own worker
    kinds = write_odd_files(tmp_path / "in")
    out = tmp_path / "out"
    code = main(["segment", str(tmp_path / "in"), "--out", str(out), "--weights", str(weights),
                 "--engine", "ray", "--workers", "1", "--batch-size", "3"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err and "1 Ray worker (CPU" in err
    for name, kind in kinds.items():
        stem = name.rsplit(".", 1)[0]
        produced = sorted(p.name for p in out.glob(f"{stem}*"))
        if kind == "good":
            assert produced == [f"{stem}.json", f"{stem}.png", f"{stem}_color.png", f"{stem}_overlay.jpg"]
        else:
            assert produced == [] and name in err.split("\nfailed:\n")[1]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"ok": 4, "skipped": 0, "failed": 4, "cancelled": 0}
    assert main(["segment", str(tmp_path / "in"), "--out", str(out), "--weights", str(weights),
                 "--engine", "ray", "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_without_ray_the_engine_says_how_to_install_it(monkeypatch, capsys):
    import argparse

    import app.cluster
    from app.cli.segment_ray import run_segment

    monkeypatch.setattr(app.cluster, "ray_available", lambda: False)
    monkeypatch.setattr("app.cli.segment_ray.ray_available", lambda: False)
    assert run_segment(argparse.Namespace()) == 2
    assert 'pip install ".[cluster]"' in capsys.readouterr().err
