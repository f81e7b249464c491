"""What the app remembers between runs (QSettings), behind names that say what they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QByteArray, QSettings

from app.checkpoints.meta import PROTOCOL_STYLES

ORGANIZATION = "PSPNetStudio"
APPLICATION = "PSPNet Studio"
MAX_RECENT = 10
BACKENDS = ("torch", "onnx", "auto")  # app.engine.backend.BACKENDS (not imported: it loads torch)
MAX_RECENT_COMPARED = 5  # Model > Compare With Recent


class ComparedFile(NamedTuple):
    """A checkpoint compared with: where it is, and its size and modification time then."""

    path: str
    size: int
    mtime_ns: int


def _fraction(value: object, default: float | None) -> float | None:
    """A stored value in 0-1 (INI files give strings back), else ``default``."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return number if 0.0 <= number <= 1.0 else default


def _as_list(value: object) -> list[str]:
    # QSettings returns a str for one-element lists in INI files, None when unset.
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _bounded_int(value: object, default: int, low: int, high: int) -> int:
    # A hand-edited INI can hold any text; a bad value falls back instead of failing start-up.
    try:
        return max(low, min(high, int(str(value))))
    except ValueError:
        return default


class AppSettings:
    """Typed access to the persistent settings; every read has a sane default."""

    def __init__(self, settings: QSettings | None = None) -> None:
        # INI everywhere: readable, and tests can point it at a temporary folder (setPath).
        self._s = settings or QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                        ORGANIZATION, APPLICATION)

    # --- window ------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._s.setValue("window/geometry", geometry)
        self._s.setValue("window/state", state)

    # --- view --------------------------------------------------------------------
    def opacity(self) -> int:
        return _bounded_int(self._s.value("view/opacity", 55), 55, 0, 100)

    def set_opacity(self, percent: int) -> None:
        self._s.setValue("view/opacity", int(percent))

    def overlay_mode(self) -> str:
        return str(self._s.value("view/overlay_mode", "fill"))

    def set_overlay_mode(self, mode: str) -> None:
        self._s.setValue("view/overlay_mode", mode)

    # --- model -------------------------------------------------------------------
    def weights(self) -> str:
        return str(self._s.value("model/weights", "") or "")

    def set_weights(self, path: str) -> None:
        self._s.setValue("model/weights", path)

    def device(self) -> str:
        return str(self._s.value("model/device", "auto") or "auto")

    def set_device(self, name: str) -> None:
        self._s.setValue("model/device", name)

    def protocol(self) -> str:
        value = str(self._s.value("model/protocol", "fast"))
        return value if value in PROTOCOL_STYLES else "fast"

    def set_protocol(self, name: str) -> None:
        self._s.setValue("model/protocol", name)

    def precision(self) -> str:
        value = str(self._s.value("model/precision", "fp32"))
        return value if value in ("fp32", "fp16", "bf16") else "fp32"

    def set_precision(self, name: str) -> None:
        self._s.setValue("model/precision", name)

    def backend(self) -> str:
        """What runs the network: torch (the default, as for the command line), onnx or auto."""
        value = str(self._s.value("model/backend", "torch"))
        return value if value in BACKENDS else "torch"

    def set_backend(self, name: str) -> None:
        self._s.setValue("model/backend", name)

    # --- recent ------------------------------------------------------------------
    def recent(self, kind: str) -> list[str]:
        """Recent 'files', 'folders' or 'weights', newest first."""
        return _as_list(self._s.value(f"recent/{kind}"))

    def add_recent(self, kind: str, path: str | Path) -> list[str]:
        path = str(Path(path).resolve())
        items = [p for p in self.recent(kind) if p != path]
        items.insert(0, path)
        del items[MAX_RECENT:]
        self._s.setValue(f"recent/{kind}", items)
        return items

    def clear_recent(self) -> None:
        """File > Open Recent > Clear Recent: every list of paths used, the compared models' too
        (a person clearing their history expects none of it left)."""
        for kind in ("files", "folders", "weights"):
            self._s.remove(f"recent/{kind}")
        self.forget_compared_model()

    # --- comparison: the checkpoints compared with (model B), Model > Compare With Recent ---
    def compared_models(self) -> list[ComparedFile]:
        """Newest first, each as it was when it last loaded (a changed file can be told)."""
        try:
            stored = json.loads(str(self._s.value("compare/recent_models", "[]")))
            return [ComparedFile(str(e["path"]), int(e["size"]), int(e["mtime_ns"])) for e in stored]
        except (ValueError, TypeError, KeyError):  # a hand-edited INI: the list starts afresh
            return []

    def remember_compared_model(self, entry: ComparedFile) -> None:
        items = [entry, *(e for e in self.compared_models() if e.path != entry.path)][:MAX_RECENT_COMPARED]
        self._s.setValue("compare/recent_models", json.dumps([e._asdict() for e in items]))

    def forget_compared_model(self, path: str | None = None) -> None:
        """Take ``path`` off the list (None: every entry)."""
        items = [e for e in self.compared_models() if path is not None and e.path != path]
        self._s.setValue("compare/recent_models", json.dumps([e._asdict() for e in items]))

    def last_save_folder(self) -> Path | None:
        """The folder the user last saved an export into (None: not yet, or it is gone)."""
        value = str(self._s.value("files/last_save_folder", "") or "")
        return Path(value) if value and Path(value).is_dir() else None

    def set_last_save_folder(self, folder: str | Path) -> None:
        self._s.setValue("files/last_save_folder", str(Path(folder).resolve()))

    # --- label editing -------------------------------------------------------------
    def autosave_edits(self) -> bool:
        return str(self._s.value("edit/autosave", "false")).lower() == "true"

    def set_autosave_edits(self, on: bool) -> None:
        self._s.setValue("edit/autosave", "true" if on else "false")

    def brush_size(self) -> int:
        return _bounded_int(self._s.value("edit/brush_size", 15), 15, 1, 500)

    def set_brush_size(self, size: int) -> None:
        self._s.setValue("edit/brush_size", int(size))

    def paint_over(self) -> str:
        """The editor's "Over" choice: "" (any class), "ignore", or "class:" and a class name."""
        value = self._s.value("edit/paint_over", "")
        return value if isinstance(value, str) and len(value) <= 1000 else ""  # a hand-edited INI: any

    def set_paint_over(self, key: str) -> None:
        self._s.setValue("edit/paint_over", str(key))

    def label_folder(self, image_folder: str | Path) -> Path | None:
        """The folder edited labels of ``image_folder``'s images are saved in, once chosen."""
        folders = self._s.value("edit/label_folders") or {}
        value = folders.get(str(Path(image_folder).resolve())) if isinstance(folders, dict) else None
        return Path(value) if value else None

    def set_label_folder(self, image_folder: str | Path, label_folder: str | Path) -> None:
        folders = self._s.value("edit/label_folders") or {}
        folders = dict(folders) if isinstance(folders, dict) else {}
        folders[str(Path(image_folder).resolve())] = str(Path(label_folder).resolve())
        self._s.setValue("edit/label_folders", folders)

    # --- review ------------------------------------------------------------------------
    def threshold(self) -> tuple[bool, float, dict[str, float]]:
        """The confidence threshold: on, the global value and per-class values keyed by class
        *name* (0-1 each), so another model's class list gets only the classes it shares."""
        on = str(self._s.value("review/threshold_on", "false")).lower() == "true"
        global_t = _fraction(self._s.value("review/threshold_global"), 0.5)
        try:
            stored = json.loads(str(self._s.value("review/threshold_classes", "{}")))
        except ValueError:
            stored = {}
        per_class = {str(name): value for name, raw in (stored.items() if isinstance(stored, dict) else ())
                     if (value := _fraction(raw, None)) is not None}
        return on, global_t if global_t is not None else 0.5, per_class

    def set_threshold(self, on: bool, global_t: float, per_class: dict[str, float]) -> None:
        self._s.setValue("review/threshold_on", "true" if on else "false")
        self._s.setValue("review/threshold_global", float(global_t))
        self._s.setValue("review/threshold_classes", json.dumps({str(k): float(v) for k, v in per_class.items()}))

    def recovery_dir(self) -> Path:
        """Where unsaved label edits are kept until saved or discarded (beside the settings)."""
        return Path(self._s.fileName()).parent / "recovery"

    def sync(self) -> None:
        self._s.sync()
