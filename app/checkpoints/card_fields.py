"""Checking a model card's fields before anything is built from them.

A card is JSON from anywhere: ``num_classes: 1e9`` (a float), ``true`` where a number
belongs, ``base_width: -16`` or ``16.5``, ``notes: 5``, NaN in the normalisation (Python's
JSON reader accepts it), class names with newlines (they would break ``labelmap.txt``
and the CSV summary), absurd pyramid bins, or nesting deep enough to exhaust the
stack. Each is refused here with the path of the field (``architecture.base_width``),
so the message names what to fix. Fields the card format does not define are kept as
they are, within the same depth and size limits.
"""

from __future__ import annotations

import math
from typing import Any

from app.model.config import BACKBONES, BASIC_CONV2_DILATIONS

MAX_CARD_BYTES = 8 * 2**20  # the shipped card is 10 kB; history of long runs stays far below
MAX_DEPTH = 32
MAX_CLASSES = 65535  # label maps hold class indices in 16 bits at most
MAX_NAME_CHARS = 200
MAX_BIN = 64
MAX_BINS = 8
MAX_CHANNELS = 16384
MAX_SIDE = 16384
MAX_SCALES = 16


class CardFieldError(ValueError):
    """One field of a card is unusable; ``field`` is its dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        self.field, self.problem = field, problem
        super().__init__(f"field '{field}' {problem}")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {int: "a whole number", float: "a number", str: "text", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                raise ValueError(f"it is nested more than {limit} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def integer(value: Any, field: str, low: int, high: int) -> int:
    """A JSON whole number in [low, high]; 16.0, 1e9 (floats) and true are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise CardFieldError(field, f"must be a whole number, not {_kind(value)} ({value!r})")
    if not low <= value <= high:
        raise CardFieldError(field, f"must be between {low} and {high}, not {value}")
    return value


def number(value: Any, field: str, low: float = -math.inf, high: float = math.inf, *,
           above: bool = False) -> float:
    """A finite JSON number in [low, high] (or (low, high] with ``above``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CardFieldError(field, f"must be a number, not {_kind(value)} ({value!r})")
    if not math.isfinite(value):
        raise CardFieldError(field, f"must be a finite number, not {value}")
    if value > high or value < low or (above and value == low):
        bound = f"above {low}" if above else f"at least {low}"
        raise CardFieldError(field, f"must be {bound}" + (f" and at most {high}" if high < math.inf else "")
                             + f", not {value}")
    return float(value)


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise CardFieldError(field, f"must be true or false, not {_kind(value)} ({value!r})")
    return value


def text(value: Any, field: str, max_chars: int = MAX_NAME_CHARS, *, one_line: bool = True) -> str:
    """A string; ``one_line`` refuses newlines and other control characters."""
    if not isinstance(value, str):
        raise CardFieldError(field, f"must be text, not {_kind(value)} ({value!r})")
    if len(value) > max_chars:
        raise CardFieldError(field, f"is {len(value)} characters long; at most {max_chars} are allowed")
    if one_line and any(not c.isprintable() for c in value):
        raise CardFieldError(field, f"must be one line of text without control characters, not {value!r}")
    return value


def obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CardFieldError(field, f"must be an object, not {_kind(value)}")
    return value


def items(value: Any, field: str, low: int, high: int) -> list[Any]:
    if not isinstance(value, list):
        raise CardFieldError(field, f"must be a list, not {_kind(value)}")
    if not low <= len(value) <= high:
        raise CardFieldError(field, f"must have between {low} and {high} entries, not {len(value)}")
    return value


def check_architecture(arch: Any, field: str = "architecture") -> None:
    arch = obj(arch, field)
    if "num_classes" not in arch:
        raise CardFieldError(f"{field}.num_classes", "is missing")
    integer(arch["num_classes"], f"{field}.num_classes", 1, MAX_CLASSES)
    if "backbone" in arch:
        name = text(arch["backbone"], f"{field}.backbone")
        if name not in BACKBONES:
            raise CardFieldError(f"{field}.backbone", f"must be one of {', '.join(BACKBONES)}, not {name!r}")
    if "stem_widths" in arch:
        for i, width in enumerate(items(arch["stem_widths"], f"{field}.stem_widths", 3, 3)):
            integer(width, f"{field}.stem_widths[{i}]", 1, MAX_CHANNELS)
    for key in ("base_width", "ppm_channels", "head_channels", "aux_channels"):
        if key in arch:
            integer(arch[key], f"{field}.{key}", 1, MAX_CHANNELS)
    if "bins" in arch:
        for i, size in enumerate(items(arch["bins"], f"{field}.bins", 1, MAX_BINS)):
            integer(size, f"{field}.bins[{i}]", 1, MAX_BIN)
    for key in ("contract_dilation", "align_corners", "aux"):
        if key in arch:
            boolean(arch[key], f"{field}.{key}")
    if "basic_conv2_dilation" in arch:
        rule = text(arch["basic_conv2_dilation"], f"{field}.basic_conv2_dilation")
        if rule not in BASIC_CONV2_DILATIONS:
            raise CardFieldError(f"{field}.basic_conv2_dilation",
                                 f"must be one of {', '.join(BASIC_CONV2_DILATIONS)}, not {rule!r}")
    if "dropout" in arch:
        number(arch["dropout"], f"{field}.dropout", 0.0, 0.99)
    if "extra" in arch:
        obj(arch["extra"], f"{field}.extra")


def check_classes(classes: Any, field: str = "classes") -> None:
    classes = obj(classes, field)
    if "classes" not in classes:
        raise CardFieldError(f"{field}.classes", "is missing (a list of {\"name\", \"color\"} entries)")
    for i, entry in enumerate(items(classes["classes"], f"{field}.classes", 1, MAX_CLASSES)):
        where = f"{field}.classes[{i}]"
        entry = obj(entry, where)
        for key in ("name", "color"):
            if key not in entry:
                raise CardFieldError(f"{where}.{key}", "is missing")
        if not text(entry["name"], f"{where}.name").strip():
            raise CardFieldError(f"{where}.name", "is empty")
        for j, channel in enumerate(items(entry["color"], f"{where}.color", 3, 3)):
            integer(channel, f"{where}.color[{j}]", 0, 255)
    for key in ("dataset", "title"):
        if key in classes:
            text(classes[key], f"{field}.{key}")
    if "ignore_index" in classes:
        integer(classes["ignore_index"], f"{field}.ignore_index", 0, 65535)


def check_normalization(norm: Any, field: str = "normalization") -> None:
    norm = obj(norm, field)
    for key in ("mean", "std"):
        if key not in norm:
            raise CardFieldError(f"{field}.{key}", "is missing (three values, RGB on 0-255)")
        for i, value in enumerate(items(norm[key], f"{field}.{key}", 3, 3)):
            if key == "mean":
                number(value, f"{field}.mean[{i}]", -255.0, 510.0)
            else:
                number(value, f"{field}.std[{i}]", 0.0, 1000.0, above=True)


_PROTOCOL_INTEGERS = {"base_size": 8, "crop_size": 8, "max_long": 8, "stride": 1}


def check_protocols(protocols: Any, field: str = "protocols") -> None:
    """Types and ranges of the settings this file knows; ProtocolSettings checks the rest."""
    for name, settings in obj(protocols, field).items():
        where = f"{field}.{text(name, f'{field} name')}"
        settings = obj(settings, where)
        for key, low in _PROTOCOL_INTEGERS.items():
            if settings.get(key) is not None:
                integer(settings[key], f"{where}.{key}", low, MAX_SIDE)
        if "scales" in settings:
            for i, scale in enumerate(items(settings["scales"], f"{where}.scales", 1, MAX_SCALES)):
                number(scale, f"{where}.scales[{i}]", 0.0, 8.0, above=True)
        if "sizes" in settings:
            for i, side in enumerate(items(settings["sizes"], f"{where}.sizes", 0, MAX_SCALES)):
                integer(side, f"{where}.sizes[{i}]", 8, MAX_SIDE)
        if "flip" in settings:
            boolean(settings["flip"], f"{where}.flip")
        for key in ("name", "style", "resize_side"):
            if key in settings:
                text(settings[key], f"{where}.{key}")


def check_extras(card: dict[str, Any]) -> None:
    """Fields the app shows (name, description, notes, training, metrics) have their types."""
    if card.get("name") is not None:
        text(card["name"], "name")
    if "description" in card:
        text(card["description"], "description", 20_000, one_line=False)
    if "notes" in card:
        for i, note in enumerate(items(card["notes"], "notes", 0, 1000)):
            text(note, f"notes[{i}]", 20_000, one_line=False)
    for key in ("training", "metrics", "converted_from"):
        if key in card:
            obj(card[key], key)


def check_card(card: dict[str, Any]) -> None:
    """Every field a card defines, checked; CardFieldError names the first bad one."""
    check_depth(card)
    check_extras(card)
    if "architecture" in card:
        check_architecture(card["architecture"])
    if "classes" in card:
        check_classes(card["classes"])
    if "normalization" in card:
        check_normalization(card["normalization"])
    if "protocols" in card:
        check_protocols(card["protocols"])
