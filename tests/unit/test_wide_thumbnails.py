"""Thumbnails of 16-bit and float images are scaled to 8 bits as the photo is, not clipped
white by PIL's conversion (a 16-bit PNG used to show a blank thumbnail)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from app.engine.imageio import read_image, read_thumbnail


@pytest.mark.parametrize("name,values", [
    ("gray16.png", lambda g: (g * 65535).astype(np.uint16)),
    ("gray16.tif", lambda g: (g * 65535).astype(np.uint16)),
    ("float.tif", lambda g: g.astype(np.float32)),
])
def test_wide_thumbnail_matches_the_photo_downscaled(tmp_path, name, values):
    ramp = np.linspace(0.0, 1.0, 400)[None, :] * np.ones((300, 1))
    path = tmp_path / name
    Image.fromarray(values(ramp)).save(path)
    thumb = read_thumbnail(path, 72, 54)
    photo = read_image(path)
    assert thumb.shape == (54, 72, 3)
    assert thumb.min() < 20 and thumb.max() > 235  # the whole ramp, not a white (or black) card
    columns = np.linspace(0, photo.shape[1] - 1, thumb.shape[1]).astype(int)
    np.testing.assert_allclose(thumb[27, :, 0], photo[150, columns, 0], atol=12)
