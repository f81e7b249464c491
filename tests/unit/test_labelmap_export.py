"""labelmap.txt as written for any class list: CVAT/datumaro and the app's own parser read
back one class per index, in order, whatever the names hold."""

from __future__ import annotations

import pytest
from datumaro.plugins.data_formats.voc.format import parse_label_map

from app.classes import ClassInfo
from app.engine.writers import cvat_labelmap
from app.labels.label_files import parse_labelmap

HOSTILE = ("car\nred", "#1 road", "sky", "a:b", "a_b", "", "  ", "x\u2028y", "tab\there", "sky",
           " # spaced", "cr\rlf", "bell\x07", "pole")
COLORS = tuple((i, 2 * i, 3 * i) for i in range(len(HOSTILE)))


def test_every_class_is_one_line_that_both_readers_read_back_in_order(tmp_path):
    """A line break gave the file a line that is no class, a leading '#' made a class a comment
    (every later index moved up one), a repeated name made datumaro refuse the whole file."""
    path = tmp_path / "labelmap.txt"
    path.write_text(cvat_labelmap(ClassInfo(HOSTILE, COLORS)), encoding="utf-8")
    ours = parse_labelmap(path.read_text(encoding="utf-8"))
    theirs = parse_label_map(str(path))  # datumaro's own parser, CVAT's dataset library
    assert len(ours) == len(theirs) == len(HOSTILE)
    assert ours.colors == COLORS
    assert [tuple(desc[0]) for desc in theirs.values()] == list(COLORS)
    assert ours.names == tuple(theirs)
    assert ours.names[2::7] == ("sky", "sky_2")  # the names a line can hold are kept


def test_the_renaming_rule():
    """Documented in labelmap_names: names a line can hold are kept as they are."""
    from app.engine.writers import labelmap_names
    assert labelmap_names(HOSTILE) == (
        "car red", "_#1 road", "sky", "a_b", "a_b_2", "unnamed", "unnamed_2", "x y", "tab here", "sky_2",
        "_# spaced", "cr lf", "bell", "pole")
    assert labelmap_names(("road", "sidewalk", "wall/fence", "Straße")) == ("road", "sidewalk", "wall/fence",
                                                                           "Straße")


@pytest.mark.parametrize("names", [("a", "a_2", "a"), ("a_2", "a", "a")])
def test_a_new_name_for_a_repeat_never_takes_another_class_s_name(names):
    from app.engine.writers import labelmap_names
    renamed = labelmap_names(names)
    assert len(set(renamed)) == 3 and renamed[:2] == names[:2]


def test_the_rule_is_stable():
    """An already written name is written the same again (the import side cleans names too)."""
    from app.engine.writers import labelmap_names
    once = labelmap_names(HOSTILE)
    assert labelmap_names(once) == once
