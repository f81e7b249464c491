"""app.labels.compare: the disagreement map filled in the figures' own pass is the one
``disagreement_mask`` gives, chunk by chunk, with class lists matched by name."""

from __future__ import annotations

import numpy as np
import pytest

from app.labels.compare import compare_label_maps, disagreement_mask


@pytest.mark.parametrize("chunk", [7, 1000, 1 << 20])
def test_the_one_pass_map_and_figures_are_the_two_pass_ones(chunk):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 6, (53, 71)).astype(np.uint8)
    b = rng.integers(0, 5, (53, 71)).astype(np.uint8)
    a[::5, ::3] = 255  # erased pixels and a value that is no class of A's: left out of both
    a[1, 1] = 40
    a_names, b_names = ("road", "car", "tree", "sky", "wall", "pole"), ("car", "road", "sky", "bus", "tree")
    two = compare_label_maps(a, b, a_names, b_names, chunk=chunk)
    out = np.full(a.shape, 7, np.uint8)  # every pixel is written
    one = compare_label_maps(a, b, a_names, b_names, chunk=chunk, disagreement=out)
    assert np.array_equal(one.confusion, two.confusion) and one.ignored == two.ignored
    assert np.array_equal(out, disagreement_mask(a, b, two.match, chunk=chunk))
    assert out[0, 0] == 0 and out[1, 1] == 0  # left out, not counted as disagreeing


def test_a_disagreement_map_of_the_wrong_shape_or_type_is_refused():
    a = np.zeros((4, 5), np.uint8)
    with pytest.raises(ValueError, match="uint8 of shape"):
        compare_label_maps(a, a, ["x"], ["x"], disagreement=np.zeros((5, 4), np.uint8))
    with pytest.raises(ValueError, match="uint8 of shape"):
        compare_label_maps(a, a, ["x"], ["x"], disagreement=np.zeros((4, 5), bool))
