"""export --only: which label maps an export takes by their review marks (review.json)."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.imageio import read_label_map
from app.interchange import exporter
from app.interchange.exporter import EXPORT_FORMATS, export_run
from app.interchange.importer import import_labels
from app.interchange.run_folder import ExportError, open_run_folder
from app.interchange.selection import Selection, choice_texts, select_items, selection_counts
from app.labels.review import REVIEW_FILE, ReviewState, ReviewStore
from tests.unit.export_scenes import make_run_folder


def marked_run(tmp_path, marks: dict[str, ReviewState]):
    """scene_1, scene_2, sub/scene_3 (photos are PNGs) with ``marks`` set through the review store."""
    maps = make_run_folder(tmp_path)
    store = ReviewStore(tmp_path / "run")
    for name, state in marks.items():
        store.set_state(name, state)
    return maps


MARKS = {"scene_1.png": ReviewState.ACCEPTED, "sub/scene_3.png": ReviewState.NEEDS_WORK}


def test_each_choice_takes_its_items_and_counts_what_it_left_out(tmp_path):
    marked_run(tmp_path, MARKS)
    run = open_run_folder(tmp_path / "run")
    accepted = select_items(run, "accepted")
    assert [i.name for i in accepted.items] == ["scene_1"]
    assert accepted.left_out == {ReviewState.UNREVIEWED: 1, ReviewState.ACCEPTED: 0, ReviewState.NEEDS_WORK: 1}
    assert accepted.note() == "left out 2 of 3 label map(s) (accepted only): 1 unreviewed, 1 needs work"
    not_needs = select_items(run, Selection.NOT_NEEDS_WORK)
    assert [i.name for i in not_needs.items] == ["scene_1", "scene_2"]
    assert not_needs.note() == "left out 1 of 3 label map(s) (all but needs work): 1 needs work"
    everything = select_items(run, "all")
    assert len(everything.items) == 3 and everything.note() == ""
    assert selection_counts(run) == {Selection.ALL: 3, Selection.ACCEPTED: 1, Selection.NOT_NEEDS_WORK: 2}
    texts, _ = choice_texts(tmp_path / "run")
    assert texts[Selection.ACCEPTED] == "Accepted only (1 of 3)"


def test_two_photos_of_one_stem_take_the_least_finished_mark(tmp_path):
    # scene_2's own photo is scene_2.png (not marked): the two marks of its stem decide, needs work first
    marked_run(tmp_path, {"scene_2.jpg": ReviewState.ACCEPTED, "scene_2.tif": ReviewState.NEEDS_WORK,
                          "scene_1.png": ReviewState.ACCEPTED, "scene_1.jpg": ReviewState.NEEDS_WORK})
    run = open_run_folder(tmp_path / "run")
    # scene_1's own photo name is marked: that mark counts, not its namesake's
    assert [i.name for i in select_items(run, "accepted").items] == ["scene_1"]


@pytest.mark.parametrize("only, words", [("accepted", "no label map is accepted"),
                                         ("not-needs-work", "every label map is marked needs work")])
def test_a_choice_that_takes_nothing_is_refused_and_writes_nothing(tmp_path, only, words):
    marked_run(tmp_path, {n: ReviewState.NEEDS_WORK for n in ("scene_1.png", "scene_2.png", "sub/scene_3.png")})
    with pytest.raises(ExportError, match=f"nothing to export: {words}.*3 needs work.*nothing was written"):
        export_run(tmp_path / "run", "coco", tmp_path / "out", only=only)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos", "run"]  # no partial folder either


def test_an_unusable_review_file_refuses_a_choice_but_not_all(tmp_path):
    make_run_folder(tmp_path)
    (tmp_path / "run" / REVIEW_FILE).write_text("{not json")
    with pytest.raises(ExportError, match="cannot choose label maps by their review marks.*not valid JSON"):
        export_run(tmp_path / "run", "voc", tmp_path / "out", only="accepted")
    assert not (tmp_path / "out").exists()
    assert len(export_run(tmp_path / "run", "voc", tmp_path / "out").exported) == 3
    assert (tmp_path / "run" / REVIEW_FILE).read_text() == "{not json"  # never written over
    texts, tip = choice_texts(tmp_path / "run")
    assert texts[Selection.ACCEPTED] == "Accepted only" and "not valid JSON" in tip


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_each_formats_writer_gets_only_the_selected_items(tmp_path, monkeypatch, fmt):
    marked_run(tmp_path, MARKS)
    writer = EXPORT_FORMATS[fmt].Writer
    added: list[str] = []
    original_add = writer.add
    monkeypatch.setattr(writer, "add", lambda self, item, labels: (added.append(item.name),
                                                                   original_add(self, item, labels))[1])
    dest = tmp_path / ("out.zip" if fmt == "cvat-mask" else "out")
    report = exporter.export_run(tmp_path / "run", fmt, dest, only="not-needs-work")
    assert added == ["scene_1", "scene_2"] and report.exported == ["scene_1", "scene_2"]
    assert report.left_out == 1 and report.notes[0].startswith("left out 1 of 3 label map(s)")
    assert dest.exists()


def test_accepted_only_voc_reads_back_as_just_the_accepted_maps(tmp_path):
    maps = marked_run(tmp_path, MARKS)
    report = export_run(tmp_path / "run", "voc", tmp_path / "voc", only="accepted")
    assert report.exported == ["scene_1"] and report.failures == []
    back = import_labels("voc", tmp_path / "voc", tmp_path / "back")
    assert back.exported == ["scene_1"]
    assert np.array_equal(read_label_map(tmp_path / "back" / "scene_1.png"), maps["scene_1"])
    assert not (tmp_path / "back" / "scene_2.png").exists()
