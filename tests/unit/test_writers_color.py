"""NAME_color.png and NAME_overlay.jpg give ignore (255) a colour of its own, not the last class's."""

from __future__ import annotations

import numpy as np

from app.classes import ClassInfo
from app.engine import writers


def three_classes(first=(200, 10, 10)) -> ClassInfo:
    return ClassInfo(("a", "b", "c"), (first, (10, 200, 10), (10, 10, 200)))


def test_ignore_and_unknown_values_are_black_and_classes_keep_their_colours():
    classes = three_classes()
    labels = np.array([[0, 1, 2], [255, 7, 2]], np.uint8)
    colour = writers.color_image(labels, classes)
    assert colour.dtype == np.uint8 and colour.shape == (2, 3, 3)
    np.testing.assert_array_equal(colour[0], classes.palette)
    np.testing.assert_array_equal(colour[1, 0], (0, 0, 0))       # ignore
    np.testing.assert_array_equal(colour[1, 1], (0, 0, 0))       # a value past the class list
    np.testing.assert_array_equal(colour[1, 2], classes.palette[2])  # the last class is still its colour


def test_a_palette_with_a_black_class_draws_ignore_in_vocs_void_colour():
    classes = three_classes(first=(0, 0, 0))  # VOC: background is black
    colour = writers.color_image(np.array([[0, 255]], np.uint8), classes)
    np.testing.assert_array_equal(colour[0, 0], (0, 0, 0))
    np.testing.assert_array_equal(colour[0, 1], writers.VOID_COLOR)


def test_the_overlay_blends_ignore_with_its_own_colour():
    classes = three_classes()
    labels = np.array([[2, 255]], np.uint8)
    photo = np.full((1, 2, 3), 100, np.uint8)
    overlay = writers.overlay_image(photo, labels, classes, alpha=0.5)
    np.testing.assert_array_equal(overlay[0, 1], (50, 50, 50))  # half photo, half black
    np.testing.assert_array_equal(overlay[0, 0], (55, 55, 150))  # half photo, half the last class


def test_sixteen_bit_maps_past_256_classes():
    names = tuple(f"c{i}" for i in range(300))
    classes = ClassInfo(names, tuple((i % 256, 1, 1) for i in range(300)))
    labels = np.array([[299, 255, 300]], np.uint16)
    colour = writers.color_image(labels, classes)
    np.testing.assert_array_equal(colour[0, 0], classes.palette[299])
    np.testing.assert_array_equal(colour[0, 1], classes.palette[255])  # 255 is a class here
    np.testing.assert_array_equal(colour[0, 2], writers.unlabelled_color(classes))
