"""``main.py export --only accepted|not-needs-work`` as a user runs it: files, messages, exit codes."""

from __future__ import annotations

from app.labels.review import REVIEW_FILE, ReviewState, ReviewStore
from tests.e2e.test_export_cli import main_py
from tests.unit.export_scenes import make_run_folder


def test_only_accepted_exports_the_accepted_and_says_what_it_left_out(tmp_path):
    make_run_folder(tmp_path)
    store = ReviewStore(tmp_path / "run")
    store.set_state("scene_1.png", ReviewState.ACCEPTED)
    store.set_state("sub/scene_3.png", ReviewState.NEEDS_WORK)
    done = main_py("export", str(tmp_path / "run"), "--format", "yolo-seg", "--dest", str(tmp_path / "yolo"),
                   "--only", "accepted")
    assert done.returncode == 0, done.stderr
    assert "exported 1 label map(s)" in done.stderr
    assert "note: left out 2 of 3 label map(s) (accepted only): 1 unreviewed, 1 needs work" in done.stderr
    assert sorted(p.name for p in (tmp_path / "yolo" / "labels").rglob("*.txt")) == ["scene_1.txt"]
    rest = main_py("export", str(tmp_path / "run"), "--format", "yolo-seg", "--dest", str(tmp_path / "rest"),
                   "--only", "not-needs-work")
    assert rest.returncode == 0 and "exported 2 label map(s)" in rest.stderr
    assert sorted(p.name for p in (tmp_path / "rest" / "labels").rglob("*.txt")) == ["scene_1.txt", "scene_2.txt"]


def test_nothing_selected_or_an_unusable_review_file_exit_2_and_write_nothing(tmp_path):
    make_run_folder(tmp_path)
    run, dest = str(tmp_path / "run"), str(tmp_path / "coco")
    none = main_py("export", run, "--format", "coco", "--dest", dest, "--only", "accepted")
    assert none.returncode == 2
    assert "nothing to export: no label map is accepted" in none.stderr and "3 unreviewed" in none.stderr
    (tmp_path / "run" / REVIEW_FILE).write_text('{"images": {}}')
    foreign = main_py("export", run, "--format", "coco", "--dest", dest, "--only", "not-needs-work")
    assert foreign.returncode == 2 and "not a PSPNet Studio review file" in foreign.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "run"]
    bad = main_py("export", run, "--format", "coco", "--dest", dest, "--only", "reviewed")
    assert bad.returncode == 2 and "invalid choice: 'reviewed'" in bad.stderr
    assert main_py("export", run, "--format", "coco", "--dest", dest).returncode == 0  # default: all


def test_help_names_only():
    helped = main_py("export", "--help")
    assert "--only {accepted,not-needs-work}" in helped.stdout and "needs work" in helped.stdout
