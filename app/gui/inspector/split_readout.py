"""What the Contribution tab says about a split: the bars' values and the line under them.

Pure text and numbers from a ``RegionSplit`` (no Qt): the bars are per pixel for a
region (the mean logit), the line names the selection, the class (or "target minus
another"), each part's term, and how far the prediction is from the runner-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from app.gui.inspector.split_plot import BIAS_NAME

if TYPE_CHECKING:
    from app.engine.ppm_region import RegionSplit


@dataclass
class SplitReadout:
    names: list[str]  # the parts, in the bars' order (the bias bar comes last)
    shares: np.ndarray  # one bar per part: the whole logit for a pixel, per pixel for a region
    bias: float
    axis_label: str
    text: str  # the line under the bars (rich text)


def selection_title(target: int, versus: int | None, name: Callable[[int], str]) -> str:
    """``target``'s name, or "target − versus" when a second class is compared."""
    return name(target) if versus is None else f"{name(target)} \u2212 {name(versus)}"


def read_split(split: RegionSplit, target: int, versus: int | None, name: Callable[[int], str],
               pinned: str | None = None) -> SplitReadout:
    """The bars and the line for ``split``'s logit of ``target`` (minus ``versus``'s);
    ``pinned``: what the paler pinned bars beside them show, if any."""
    from app.engine.ppm_region import describe_region

    shares, bias, total = split.split(target, versus)
    count = split.pixel_count
    names = list(split.names)
    what = selection_title(target, versus, name)
    if count == 1:
        bar_shares, bar_bias, axis_label = shares, bias, "share of the logit"
        head = f"{describe_region(split).capitalize()}: <b>{what}</b>, logit {total:.3f}"
    else:
        bar_shares, bar_bias, axis_label = shares / count, bias / count, f"share of the mean logit ({count} px)"
        head = (f"{describe_region(split).capitalize()}: <b>{what}</b>, logit summed over {count} px "
                f"{total:.2f} (mean {total / count:.3f} per pixel)")
    terms = " + ".join(f"{n} {v / count:+.2f}" for n, v in zip(names + [BIAS_NAME], np.append(shares, bias)))
    predicted = split.predicted
    if target == predicted:
        rival = split.runner_up(target)
        margin = (float(split.logits[target]) - float(split.logits[rival])) / count
        tail = f"Runner-up {name(rival)} by {margin:.2f} per pixel."
    else:
        gap = (float(split.logits[predicted]) - float(split.logits[target])) / count
        tail = f"Predicted {name(predicted)}, {gap:.2f} per pixel above {name(target)}."
    pinned_note = f" <i>Paler dashed bars, pinned: {pinned}</i>" if pinned is not None else ""
    text = f"{head} = {terms} (per pixel; sum {float(shares.sum() + bias) / count:.3f}). {tail}{pinned_note}"
    return SplitReadout(names, bar_shares, bar_bias, axis_label, text)
