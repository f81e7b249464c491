"""A model card's free-form parts (description, training, metrics, notes) as readable text.

The card's core fields (architecture, classes, normalisation, protocols) have their own
pages; what remains is JSON from whoever trained the model: the project's own cards carry
a recipe, a per-epoch history and per-class IoU, mmseg checkpoints an iteration count.
Both the model card dialog and ``main.py info`` show it through :func:`card_sections`, so
the window and the command line say the same thing in the same words. Known fields get
sentences and tables; unknown ones are shown as labelled values, never as a JSON dump.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Shown on the card's other pages, or used only to build the model.
CORE_KEYS = frozenset({"classes", "architecture", "normalization", "protocols", "name", "format",
                       "format_version"})
MAX_TEXT = 2000  # characters of one value; a card may hold 8 MB of someone's JSON
MAX_TABLE_ROWS = 200
_LABELS = {"iter": "iterations", "mmseg_version": "mmseg version", "time": "saved", "mIoU": "mIoU",
           "mAcc": "mAcc", "allAcc": "allAcc", "val_mIoU": "val mIoU", "lr": "learning rate",
           "card_path": "card file", "iou_drop_points": "IoU drop (points)"}
_FRACTIONS = ("mIoU", "mAcc", "allAcc", "val_mIoU")


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def label(key: str) -> str:
    return _LABELS.get(key, key.replace("_", " "))


def value_text(value: Any, key: str = "") -> str:
    """One value on one line: fractions as percentages, lists comma-separated, objects as pairs."""
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "none"}[value]
    if isinstance(value, float):
        return f"{value:.2%}" if key in _FRACTIONS and 0 <= value <= 1 else f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        text = ", ".join(value_text(v) for v in value)
    elif isinstance(value, dict):
        text = "; ".join(f"{label(str(k))} {value_text(v, str(k))}" for k, v in value.items() if v is not None)
    else:
        text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " ..."


def _records_table(records: list[Any]) -> Table | None:
    """A list of objects with scalar values as a table (the training history)."""
    if not records or not all(isinstance(r, dict) for r in records):
        return None
    keys = list(dict.fromkeys(k for r in records for k in r))
    if any(isinstance(r.get(k), (dict, list)) for r in records for k in keys):
        return None
    rows = [tuple(value_text(r.get(k), k) if k in r else "" for k in keys) for r in records[:MAX_TABLE_ROWS]]
    if len(records) > MAX_TABLE_ROWS:
        rows.append(("...",) + ("",) * (len(keys) - 1))
    return Table(tuple(label(k) for k in keys), rows)


def _history_summary(history: list[dict[str, Any]]) -> str:
    parts = [f"{len(history)} epochs"]
    losses = [h["loss"] for h in history if isinstance(h.get("loss"), (int, float))]
    if len(losses) >= 2:
        parts.append(f"loss {losses[0]:.4g} to {losses[-1]:.4g}")
    scored = [h for h in history if isinstance(h.get("val_mIoU"), (int, float))]
    if scored:
        best = max(scored, key=lambda h: h["val_mIoU"])
        parts.append(f"best validation mIoU {best['val_mIoU']:.2%}"
                     + (f" (epoch {best['epoch']})" if "epoch" in best else ""))
    return ", ".join(parts)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
    return f"{seconds:g} s ({clock})" if minutes or hours else clock


def _generic(section: Section, value: Any, prefix: str = "") -> None:
    """Rows for an object of unknown shape: nested objects become 'a / b' labels."""
    if not isinstance(value, dict):
        table = _records_table(value) if isinstance(value, list) else None
        if table is not None:
            section.tables.append(table)
        else:
            section.rows.append((prefix or "value", value_text(value)))
        return
    for key, item in value.items():
        name = f"{prefix} / {label(str(key))}" if prefix else label(str(key))
        if isinstance(item, dict) and any(isinstance(v, (dict, list)) for v in item.values()):
            _generic(section, item, name)
        elif isinstance(item, list) and (table := _records_table(item)) is not None:
            section.rows.append((name, f"{len(item)} rows, below"))
            section.tables.append(table)
        else:
            section.rows.append((name, value_text(item, str(key))))


def _training(training: dict[str, Any]) -> Section:
    section = Section("Training")
    rest = dict(training)
    data = rest.pop("data", None)
    if isinstance(data, dict):
        data = dict(data)
        kind = data.pop("kind", None) or data.pop("path", None)
        if kind:
            section.rows.append(("data", str(kind)))
        for key in ("train_seeds", "validation_seeds", "test_seeds"):
            if key in data:
                section.rows.append((label(key), value_text(data.pop(key))))
        if "context_classes" in data:
            note = data.pop("context_note", "")
            section.rows.append(("context classes", value_text(data.pop("context_classes"))
                                 + (f" ({note})" if note else "")))
        _generic(section, data, "data")
    elif data is not None:
        section.rows.append(("data", value_text(data)))
    history = rest.pop("history", None)
    wall, wall_note = rest.pop("wall_time_s", None), rest.pop("wall_time_note", None)
    recipe = rest.pop("recipe", None)
    _generic(section, {k: v for k, v in rest.items() if k not in ("machine", "device")})
    if isinstance(recipe, dict):
        section.rows.append(("recipe", value_text({k: v for k, v in recipe.items() if v is not None})))
    if isinstance(wall, (int, float)):
        section.rows.append(("wall time", _duration(float(wall)) + (f"; {wall_note}" if wall_note else "")))
    for key in ("machine", "device"):
        if key in rest:
            section.rows.append((key, value_text(rest[key])))
    if isinstance(history, list) and history:
        table = _records_table(history)  # None unless every entry is an object of plain values
        if table is not None:
            section.rows.append(("history", _history_summary(history)))
            section.tables.append(table)
        else:
            section.rows.append(("history", value_text(history)))
    return section


def _metrics(metrics: dict[str, Any]) -> Section:
    """Each split's scores on one row; every per-class figure as a column of one table."""
    section = Section("Metrics")
    columns: dict[str, dict[str, str]] = {}
    for key, value in metrics.items():
        split = label(str(key))
        if not (isinstance(value, dict) and any(k in value for k in _FRACTIONS)):
            _generic(section, {key: value})
            continue
        section.rows.append((split, value_text({k: v for k, v in value.items() if k in _FRACTIONS})))
        for name, item in value.items():
            if name in _FRACTIONS:
                continue
            if isinstance(item, dict) and all(isinstance(v, (int, float)) for v in item.values()):
                title = f"{split} IoU" if name == "per_class_iou" else f"{split} {label(str(name))}"
                fmt = "mIoU" if name == "per_class_iou" else ""
                columns[title] = {str(c): value_text(v, fmt) for c, v in item.items()}
            else:
                _generic(section, item, f"{split} / {label(str(name))}")
    if columns:
        names = list(dict.fromkeys(n for column in columns.values() for n in column))
        rows = [(n, *(column.get(n, "") for column in columns.values())) for n in names[:MAX_TABLE_ROWS]]
        section.tables.append(Table(("class", *columns), rows))
    return section


def card_sections(card: dict[str, Any]) -> list[Section]:
    """The card's description, training, metrics, notes and any other fields, in that order."""
    sections: list[Section] = []
    if isinstance(card.get("description"), str) and card["description"]:
        sections.append(Section("Description", [("", value_text(card["description"]))]))
    loose = Section("Card")
    for key, value in card.items():
        if key in CORE_KEYS or key in ("description", "notes") or value in (None, {}, [], ""):
            continue
        if key == "training" and isinstance(value, dict):
            sections.append(_training(value))
        elif key == "metrics" and isinstance(value, dict):
            sections.append(_metrics(value))
        elif isinstance(value, dict):
            section = Section(label(str(key)).capitalize())
            _generic(section, value)
            sections.append(section)
        else:
            _generic(loose, value, label(str(key)))
    if loose.rows or loose.tables:
        sections.append(loose)
    notes = card.get("notes")
    if notes:
        items = notes if isinstance(notes, list) else [notes]
        sections.append(Section("Notes", [("", value_text(n)) for n in items]))
    return sections


def table_lines(table: Table, indent: str = "") -> list[str]:
    widths = [max(len(c) for c in column) for column in zip(table.header, *table.rows)]
    return [indent + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
            for row in (table.header, *table.rows)]


def sections_text(sections: list[Section], indent: str = "  ") -> list[str]:
    """Plain lines, as ``main.py info`` prints them."""
    lines: list[str] = []
    for section in sections:
        lines.append(f"{section.title.lower()}:")
        width = max((len(k) for k, _ in section.rows), default=0)
        for key, text in section.rows:
            lines.append(f"{indent}{key.ljust(width)}  {text}".rstrip() if key else f"{indent}{text}")
        for table in section.tables:
            lines += table_lines(table, indent * 2)
    return lines
