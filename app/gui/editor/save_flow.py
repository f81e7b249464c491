"""Ctrl+S: where an edited map goes, and writing it (app.editing.saving does the files).

Where: the stem the session already saved to; else the image's own label files (a
batch run's outputs, or the label map the review found beside the folder), which are
replaced; else the folder remembered for this image folder, else one the user picks
(then remembered). A label map there that is not an edited map of this image is
replaced only when the user says so, and never the photo itself. Nor are edits saved
earlier that this session did not start from (with Review > Show Labels from Folder off the
prediction is shown, and its edit would replace them unseen): the user is asked first.

With the confidence threshold on, the model's uncertain pixels that nobody edited are
saved as ignore (255), as one more undoable step, so what is saved is what is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from app.editing import IGNORE, tools
from app.editing.saving import is_edited, label_file, save_edited
from app.engine.imageio import read_label_map
from app.gui.batch.options import default_output_dir
from app.gui.editor import prompts
from app.gui.editor.session import EditSession
from app.labels.threshold import below_threshold

if TYPE_CHECKING:
    from app.gui.editor.link import EditorLink

StemProvider = Callable[[Path], "Path | None"]


class EditSaver:
    def __init__(self, link: "EditorLink") -> None:
        self.link, self.window = link, link.window
        # Who knows where an image's label files are: the batch run, then the review's labels.
        self.providers: list[StemProvider] = []
        for owner, name in ((getattr(self.window, "batch", None), "output_stem"),
                            (getattr(self.window, "review", None), "label_stem")):
            if owner is not None and hasattr(owner, name):
                self.providers.append(getattr(owner, name))

    def save(self) -> bool:
        """Save the shown image's labels (edited or not); False when not saved."""
        self.link.canvas.cancel()
        self.link.wait()  # the edits in line are part of what is saved
        session = self.link.session or self.link.ensure_session()
        if session is None:
            return False
        target = self.target(session)
        if target is None:
            return False
        stem, own = target
        label = label_file(stem)
        if label.resolve() == session.source.resolve():
            self._say(f"Not saved: {label.name} would replace the photo itself. Choose another folder.", "error")
            return False
        if not own and label.exists() and not is_edited(stem) and not prompts.ask_replace(self.window, label):
            return False
        if session.stem is None and is_edited(stem) and not started_from(session, label) \
                and not prompts.ask_replace_edits(self.window, label):
            return False
        self._apply_threshold(session)
        self.link.wait()  # that step's recovery copy: made before the file is removed below
        confidence = session.item.result.confidence
        try:
            written = save_edited(stem, session.doc.labels, session.classes, str(session.source),
                                  session.item.image, confidence if np.isfinite(confidence).all() else None)
        except (OSError, ValueError) as exc:
            self._say(f"Could not save the labels of {session.source.name}: {exc}. The edits are kept "
                      "(and in the recovery file); try another folder.", "error")
            return False
        session.doc.mark_saved()
        session.stem, session.stem_known = stem, True
        self.link.recovery.discard(session.source)
        self.link.viewer.remember(session.source, session.saved_view())
        self.link.update_actions()
        folder = getattr(self.window, "folder", None)
        if folder is not None:  # its Status column: "edited", with the map it was saved as
            folder.set_label_map(session.source, label)
        self._say(f"Saved {', '.join(p.name for p in written)} in {stem.parent}", "info")
        return True

    def target(self, session: EditSession) -> tuple[Path, bool] | None:
        """(output stem, whether its files are this image's own) or None when the user cancelled."""
        if session.stem is not None:
            return session.stem, session.stem_known
        suggestions = [stem for stem in (p(session.source) for p in self.providers) if stem is not None]
        for stem in suggestions:
            if label_file(stem).exists():
                return stem, True
        settings = self.window.settings
        folder = settings.label_folder(session.source.parent)
        if folder is None:
            start = suggestions[0].parent if suggestions else default_output_dir(session.source.parent)
            folder = prompts.ask_folder(self.window, start if start.is_dir() else session.source.parent)
            if folder is None:
                return None
            settings.set_label_folder(session.source.parent, folder)
        return Path(folder) / session.source.stem, False

    def _apply_threshold(self, session: EditSession) -> None:
        threshold = self.link.viewer.threshold
        confidence = session.item.result.confidence
        if not threshold.active() or confidence.shape != session.doc.labels.shape:
            return
        original = session.item.original_labels
        below = below_threshold(original, confidence, threshold.global_t, threshold.per_class)
        below &= session.doc.labels == original  # what a person painted is certain
        if below.any():  # on the GUI thread: saving waits for it anyway
            self.link._changed(session.doc.paint(tools.Region((0, below.shape[0], 0, below.shape[1]), below),
                                                 IGNORE))  # noqa: SLF001

    def _say(self, text: str, level: str) -> None:
        self.window.messages.show_message(text, level, timeout_ms=6000 if level == "info" else None)


def started_from(session: EditSession, label: Path) -> bool:
    """Whether the session began from the map in ``label`` (so saving it keeps what was there);
    a file that cannot be read counts as not."""
    try:
        on_disk = read_label_map(label)
    except (OSError, ValueError):
        return False
    return bool(np.array_equal(on_disk, session.item.original_labels))
