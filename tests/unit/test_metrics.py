import numpy as np
import pytest

from app.engine.metrics import IoUAccumulator, intersection_and_union


def test_known_iou_with_ignore():
    target = np.array([[0, 0, 1, 1], [255, 2, 2, 2]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 2, 0]])
    inter, union, tgt = intersection_and_union(pred, target, 3)
    assert inter.tolist() == [1, 2, 2]
    # class 0: pred {0,0(ignored px dropped),0}->(0,0),(1,3) ; union = 2 pred + 2 target - 1
    assert union.tolist() == [3, 3, 3]
    assert tgt.tolist() == [2, 2, 3]
    acc = IoUAccumulator(3)
    acc.add(pred, target)
    s = acc.summary()
    assert s["mIoU"] == pytest.approx((1 / 3 + 2 / 3 + 2 / 3) / 3)
    assert s["allAcc"] == pytest.approx(5 / 7)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError):
        intersection_and_union(np.zeros((2, 2)), np.zeros((3, 2)), 2)
