"""argparse ``type=`` checkers: a number outside its range is a usage error (exit 2) that
says the range, before any work starts, instead of a silent default or a run that
crawls for minutes.

``bounded(int, 1, 50_000, "--synthetic")`` parses the text and accepts low..high only;
NaN and infinities are refused for floats (they fail every comparison). ``size(32, 4096)``
parses ``WxH`` or ``N``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Callable


def bounded(kind: Callable[[str], Any], low: float, high: float, what: str) -> Callable[[str], Any]:
    """An argparse ``type`` that parses with ``kind`` (int or float) and accepts only low..high."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{what} must be {noun}, not {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{what} must be a finite number, not {text}")
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low:g} and {high:g}, not {text}")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


def size(low: int, high: int, what: str = "a size") -> Callable[[str], tuple[int, int]]:
    """``'320x240'`` -> (320, 240), ``'256'`` -> (256, 256); each side low..high."""
    def parse(text: str) -> tuple[int, int]:
        try:
            parts = [int(v) for v in text.lower().split("x")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a size; expected WxH or N") from None
        if len(parts) == 1:
            parts *= 2
        if len(parts) != 2:
            raise argparse.ArgumentTypeError(f"{text!r} is not a size; expected WxH or N")
        if not all(low <= p <= high for p in parts):
            raise argparse.ArgumentTypeError(f"{what} {text!r}: each side must be between {low} and {high} pixels")
        return parts[0], parts[1]
    parse.__name__ = what
    return parse
