import json

import pytest

from app.classes import ClassInfo, classes_for_count, dataset_classes, generate_palette


@pytest.mark.parametrize("name,count,first", [("ade20k", 150, "wall"), ("voc2012", 21, "background"),
                                              ("cityscapes", 19, "road"), ("camvid", 11, "Building")])
def test_builtin_datasets(name, count, first):
    info = dataset_classes(name)
    assert len(info) == count and info.names[0] == first and info.palette.shape == (count, 3)
    assert classes_for_count(count).dataset == name


def test_unknown_count_gets_generic_distinct_colours():
    info = classes_for_count(7)
    assert info.dataset == "generic" and len(info) == 7
    assert len({tuple(c) for c in info.colors}) == 7


def test_from_lists_without_colours_is_json_serialisable():
    info = ClassInfo.from_lists(["a", "b", "c"], None)
    again = ClassInfo.from_dict(json.loads(json.dumps(info.to_dict())))
    assert again == info
    assert all(type(v) is int for c in info.colors for v in c)


def test_palette_is_deterministic_and_bad_colours_refused():
    assert (generate_palette(12) == generate_palette(12)).all()
    with pytest.raises(ValueError):
        ClassInfo.from_lists(["a"], [[300, 0, 0]])
    with pytest.raises(ValueError):
        ClassInfo(("a", "b"), ((0, 0, 0),))
