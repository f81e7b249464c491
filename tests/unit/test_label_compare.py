"""app.labels.compare: the agreement of two models' label maps of one image."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.metrics import intersection_and_union
from app.labels.compare import compare_label_maps, disagreement_mask, match_classes

NAMES = ("road", "car", "tree")


def test_hand_made_maps_give_known_agreement_iou_and_confusion():
    a = np.array([[0, 0, 1, 1],
                  [0, 0, 1, 1],
                  [2, 2, 2, 2]], np.uint8)
    b = np.array([[0, 0, 1, 0],
                  [0, 1, 1, 0],
                  [2, 2, 2, 1]], np.uint8)
    agreement = compare_label_maps(a, b, NAMES, NAMES)
    assert agreement.compared == 12 and agreement.ignored == 0
    assert agreement.agreeing == 8
    assert agreement.agreement == pytest.approx(8 / 12)
    iou = agreement.iou()
    # road: A 4 px, B 5 px, both 3 -> 3/6; car: A 4, B 4, both 2 -> 2/6; tree: A 4, B 3, both 3 -> 3/4
    assert iou == pytest.approx([3 / 6, 2 / 6, 3 / 4])
    assert agreement.mean_iou == pytest.approx((3 / 6 + 2 / 6 + 3 / 4) / 3)
    assert agreement.top_confusions(2) == [("car", "road", 2), ("road", "car", 1)]
    assert agreement.confusion.tolist() == [[3, 1, 0], [2, 2, 0], [0, 1, 3]]
    assert disagreement_mask(a, b, agreement.match).tolist() == (a != b).astype(np.uint8).tolist()


def test_iou_is_the_metrics_modules_on_a_random_map():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, (37, 41)).astype(np.uint8)
    b = rng.integers(0, 5, (37, 41)).astype(np.uint8)
    names = [f"c{i}" for i in range(5)]
    inter, union, _ = intersection_and_union(b, a, 5)
    assert compare_label_maps(a, b, names, names).iou() == pytest.approx(inter / union)


def test_class_lists_are_matched_by_name_and_missing_classes_reported():
    a_names = ("road", "Car", "tree")  # B calls it "car ", has no tree, and has a "sky" A lacks
    b_names = ("sky", "car ", "road")
    match = match_classes(a_names, b_names)
    assert match.names == ("road", "Car", "tree", "sky")
    assert match.a_index == (0, 1, 2, None) and match.b_index == (2, 1, None, 0)
    a = np.array([[0, 1, 2, 2]], np.uint8)
    b = np.array([[2, 1, 0, 2]], np.uint8)  # road, car, sky, road in B's indices
    agreement = compare_label_maps(a, b, a_names, b_names)
    assert agreement.agreeing == 2  # road and car agree although their indices differ
    assert agreement.missing("a") == ["sky"] and agreement.missing("b") == ["tree"]
    rows = {row.name: row for row in agreement.rows()}
    assert rows["tree"].only_in == "A" and rows["tree"].iou is None and rows["tree"].pixels_a == 2
    assert rows["sky"].only_in == "B" and rows["sky"].iou is None and rows["sky"].pixels_b == 1
    assert rows["road"].iou == pytest.approx(1 / 2) and rows["Car"].iou == pytest.approx(1.0)
    assert agreement.top_confusions() == [("tree", "road", 1), ("tree", "sky", 1)]
    assert disagreement_mask(a, b, match).tolist() == [[0, 0, 1, 1]]


def test_ignored_pixels_and_values_outside_the_classes_are_left_out():
    a = np.array([[0, 255, 1, 1, 7]], np.uint8)  # 7: no class of A's three
    b = np.array([[0, 0, 255, 1, 1]], np.uint8)
    agreement = compare_label_maps(a, b, NAMES, NAMES)
    assert agreement.ignored == 3 and agreement.compared == 2 and agreement.agreement == 1.0
    assert disagreement_mask(a, b, agreement.match).tolist() == [[0, 0, 0, 0, 0]]


def test_nothing_compared_gives_no_agreement_rather_than_a_division_by_zero():
    a = np.full((3, 3), 255, np.uint8)
    agreement = compare_label_maps(a, a.copy(), NAMES, NAMES)
    assert agreement.agreement is None and agreement.mean_iou is None and agreement.rows() == []


def test_a_map_counted_in_chunks_gives_the_same_as_whole():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 6, (301, 257)).astype(np.uint8)
    b = np.where(rng.random(a.shape) < 0.8, a, rng.integers(0, 6, a.shape)).astype(np.uint8)
    a[::7, ::5] = 255
    names = [f"c{i}" for i in range(6)]
    whole = compare_label_maps(a, b, names, names, chunk=a.size)
    chunked = compare_label_maps(a, b, names, names, chunk=1000)  # 78 chunks, the last one short
    assert np.array_equal(whole.confusion, chunked.confusion) and whole.ignored == chunked.ignored
    match = whole.match
    assert np.array_equal(disagreement_mask(a, b, match, chunk=a.size), disagreement_mask(a, b, match, chunk=999))


def test_maps_of_different_sizes_are_refused():
    with pytest.raises(ValueError, match="differ in size"):
        compare_label_maps(np.zeros((2, 3), np.uint8), np.zeros((3, 2), np.uint8), NAMES, NAMES)
