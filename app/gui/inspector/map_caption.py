"""The line under the Maps tab's map: which branch and reduction, its grid, its values."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from app.engine.ppm_analysis import PPMActivations

REDUCTION_LABELS = {"channel": "One channel", "mean": "Mean of channels", "max": "Max of channels",
                    "l2": "L2 norm of channels", "pca": "PCA of channels \u2192 RGB"}


def map_caption(acts: PPMActivations, source: int, view: str, kind: str, channel: int, values: np.ndarray,
                redraw_ms: float) -> str:
    """Rich text: the branch, what of it is shown (``kind``: a REDUCTION_LABELS key), the grid
    of ``values``, their range (PCA: the explained variance) and how long drawing took."""
    grid = f"{values.shape[1]}\u00d7{values.shape[0]}"
    label = REDUCTION_LABELS[kind]
    what = f"channel {channel}" if kind == "channel" else (label if kind == "pca" else label.lower())
    text = f"<b>{acts.names[source]}</b>, {what}, {grid} cells"
    if kind == "pca":
        var = acts.pca_variance(source, view)
        text += (f"; explained variance R {var[0]:.0%}, G {var[1]:.0%}, B {var[2]:.0%}"
                 if var.sum() > 0 else "; no variance across positions (uniform grey)")
    else:
        text += f"; values {float(values.min()):.3g} to {float(values.max()):.3g}"
    return text + f"; drawn in {redraw_ms:.1f} ms"
