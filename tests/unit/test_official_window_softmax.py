"""The official protocol's per-window values (``official.WindowSoftmax``): the buffered,
in-place CPU path gives bit for bit the probabilities of the plain torch expressions it
replaced, with flip and without, for both corner rules, for batches of changing size; and
its last resize (``average_scales``), strip by strip, the labels and confidence of the
whole averaged map."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.engine.official import WindowSoftmax, average_scales
from app.engine.resize import resize_rows

CLASSES, LOW, CROP = 7, 9, 65


def plain(logits: torch.Tensor, batch: int, flip: bool, align_corners: bool) -> torch.Tensor:
    """What the protocol computed before: upsample, softmax, mirrored half flipped back."""
    probs = torch.softmax(F.interpolate(logits, size=(CROP, CROP), mode="bilinear",
                                        align_corners=align_corners).float(), dim=1)
    if flip:
        return (probs[:batch] + probs[batch:].flip(3)) / 2
    return probs


def network(seen: list[torch.Tensor]):
    """A stand-in forward: fixed random low-resolution logits per input, remembered."""
    def forward(x: torch.Tensor) -> torch.Tensor:
        generator = torch.Generator().manual_seed(int(x.shape[0]) * 31 + len(seen))
        logits = torch.randn((x.shape[0], CLASSES, LOW, LOW), generator=generator) * 4
        seen.append(logits)
        return logits
    return forward


@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("align_corners", [True, False])
def test_buffered_values_equal_the_plain_expressions_bit_for_bit(flip, align_corners):
    seen: list[torch.Tensor] = []
    values = WindowSoftmax(network(seen), flip, align_corners)
    for batch in (2, 3, 1):  # the buffer is reused, grown, then viewed smaller
        crops = torch.zeros((batch, 3, CROP, CROP))
        got = values(crops)
        assert seen[-1].shape[0] == (2 * batch if flip else batch)  # the mirrored pass runs too
        expected = plain(seen[-1], batch, flip, align_corners)
        assert got.shape == (batch, CLASSES, CROP, CROP) and torch.equal(got, expected)
    # grown once, for the largest batch: 3 windows (6 passes with their mirrors)
    assert values._storage is not None and values._storage.numel() == 3 * (2 if flip else 1) * CLASSES * CROP * CROP


def test_the_mirrored_pass_is_flipped_back():
    crops = torch.zeros((1, 3, CROP, CROP))
    mirrored_only = WindowSoftmax(lambda x: torch.stack([torch.zeros(CLASSES, LOW, LOW),
                                                        torch.arange(LOW * 1.0).expand(CLASSES, LOW, LOW)
                                                        * torch.arange(CLASSES * 1.0)[:, None, None]]),
                                  True, True)
    probs = mirrored_only(crops)[0]
    # the mirrored pass prefers the last class more towards its own right edge, so the
    # image's left edge after flipping back; the plain pass is uniform
    assert probs[-1, :, 0].min() > probs[-1, :, -1].max()


def test_half_precision_logits_take_the_plain_path():
    seen: list[torch.Tensor] = []
    half = network(seen)
    values = WindowSoftmax(lambda x: half(x).to(torch.bfloat16), True, True)
    got = values(torch.zeros((2, 3, CROP, CROP)))
    assert values._storage is None and got.dtype == torch.float32
    assert torch.equal(got, plain(seen[-1].to(torch.bfloat16), 2, True, True))


@pytest.mark.parametrize("scales", [1, 2])
def test_the_last_resize_gives_the_first_maximum_and_its_value(scales):
    generator = torch.Generator().manual_seed(scales)
    per_scale = [torch.softmax(torch.randn((CLASSES, 20, 30), generator=generator) * 3, 0) for _ in range(scales)]
    for probs in per_scale:
        probs[:, :4, :4] = 1.0 / CLASSES  # exact ties: the first class wins, as np.argmax
    labels, confidence = average_scales(per_scale, 47, 61, CLASSES, np.dtype(np.uint8), budget=1)  # many strips
    mean = sum(resize_rows(p, 47, 61, 0, 47, align_corners=False) for p in per_scale) / scales
    assert np.array_equal(labels, mean.argmax(0).numpy()) and (labels[:6, :6] == 0).all()
    assert np.array_equal(confidence, mean.gather(0, mean.argmax(0)[None])[0].numpy())
