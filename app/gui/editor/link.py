"""The label editor in the main window: Edit mode, the session of the shown image, and
leaving it (Save / Discard / Cancel, recovery files).

The edit model is Qt-free (app.editing). The parts around this file: ``menu.py`` (the
actions and their enabled state), ``tool_edits.py`` (what the tools do and the redraw of
the changed box, mixed in here because the canvas calls them on this object),
``edit_queue.py`` (big edits off the GUI thread, in order), ``canvas.py`` (mouse input),
``save_flow.py`` (Ctrl+S). The viewer asks ``confirm_leave`` before anything replaces
the shown labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Slot

from app.editing import IGNORE
from app.editing.recovery import read_recovery
from app.gui.editor import prompts
from app.gui.editor.canvas import EditCanvas
from app.gui.editor.edit_queue import EditQueue
from app.gui.editor.menu import EditorActions
from app.gui.editor.recovery_writer import RecoveryWriter
from app.gui.editor.save_flow import EditSaver
from app.gui.editor.session import EditSession
from app.gui.editor.tool_edits import ToolEdits
from app.gui.editor.toolbar import EditToolbar
from app.gui.view_anchor import held_still
from app.viewing.cache import CachedView

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

LEGEND_DELAY_MS = 120  # the legend's areas follow a stroke at most this often
BUSY_DELAY_MS = 120    # an edit computed for longer than this shows as busy


class EditorLink(ToolEdits, QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.viewer, self.view = window, window.viewer, window.view
        self.session: EditSession | None = None
        self.toolbar = EditToolbar(window)
        window.addToolBarBreak()
        window.addToolBar(self.toolbar)
        self.toolbar.hide()
        self.queue = EditQueue(lambda text: window.messages.show_message(text, "error"), self)
        self.canvas = EditCanvas(window.view, self)
        self.recovery = RecoveryWriter(window.settings.recovery_dir())
        self.saver = EditSaver(self)
        self._last_point: tuple[float, float] | None = None
        self._class_names: tuple[str, ...] = ()
        self._legend_timer = QTimer(self, singleShot=True, interval=LEGEND_DELAY_MS)
        self._legend_timer.timeout.connect(self._refresh_legend)
        self._busy_timer = QTimer(self, singleShot=True, interval=BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self.actions = EditorActions(self)
        self.edit_mode, self.autosave = self.actions.edit_mode, self.actions.autosave
        self.update_actions()
        self.toolbar.brush_size.setValue(window.settings.brush_size())
        self.toolbar.brush_size.valueChanged.connect(self._on_size)
        self.toolbar.paint_over.set_key(window.settings.paint_over())  # chosen once the classes are known
        self.toolbar.paint_over.keyChanged.connect(window.settings.set_paint_over)
        self.toolbar.connect_tools(self._on_tool)
        bar = self.toolbar
        for picker in (bar.paint_class, bar.paint_over, bar.eraser_value, bar.replace_from):
            picker.classChosen.connect(self._keys_back_to_image)
        self.queue.busyChanged.connect(self._on_busy)
        self.viewer.leave_guard = self.confirm_leave
        self.viewer.resultShown.connect(self._on_result_shown)
        window.legend.classClicked.connect(self._on_legend_clicked)

    def update_actions(self) -> None:
        self.actions.update()
        # after every change, save, revert and new image: the title's "*" says edits are unsaved
        self.window.setWindowModified(bool(self.session is not None and self.session.doc.dirty))

    # --- busy: an edit being computed ------------------------------------------------------
    def busy(self) -> bool:
        """True while an edit is computed or actions wait in line for one."""
        return self.queue.busy()

    def wait(self) -> None:
        """Finish the edits in line now (blocking): before the map is saved, left or read."""
        self.queue.wait()

    def _on_busy(self, what: str) -> None:
        if what:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self._show_busy()
        self.update_actions()

    def _show_busy(self) -> None:
        what = self.queue.busy_with()
        self.toolbar.set_busy(f"{what}\u2026" if what else "")
        self.canvas.set_busy(bool(what))

    # --- mode and tools -------------------------------------------------------------------
    def active(self) -> bool:
        return self.edit_mode.isChecked() and self.viewer.shown is not None

    def set_edit_mode(self, on: bool) -> None:
        self.edit_mode.setChecked(bool(on))
        with held_still(self.view, self.window):  # the photo does not jump by the row
            self.toolbar.setVisible(bool(on))
        if not on:
            self.canvas.cancel()
        self._sync_classes()
        if on and self.viewer.shown is not None:
            self.ensure_session()  # its copy of the map is made now, not on the first stroke
        self.canvas.refresh_cursor()

    def _keys_back_to_image(self, _value: int) -> None:
        """A class chosen in a toolbar box: the keys go back to the image. Left in the box's
        text field, B/E/F/P/R/I typed into it ('any classp') and Ctrl+E moved its cursor
        (Qt's end of line on Linux), so the next clicks used the old tool."""
        self.view.setFocus()

    def tool(self) -> str:
        return self.toolbar.tool()

    def brush_size(self) -> int:
        return self.toolbar.brush_size.value()

    def _on_tool(self, name: str) -> None:
        self.canvas.cancel()
        if not self.edit_mode.isChecked():
            self.set_edit_mode(True)  # a tool key starts editing
        self.canvas.refresh_cursor()

    def _on_size(self, value: int) -> None:
        self.window.settings.set_brush_size(value)
        self.canvas.refresh_cursor()

    def paint_value(self) -> int:
        return self.toolbar.paint_class.value() or 0

    def _sync_classes(self) -> None:
        classes = self.viewer.classes()
        if classes is not None and tuple(classes.names) != self._class_names:
            self._class_names = tuple(classes.names)
            self.toolbar.set_classes(classes.names, classes.palette)

    # --- the session ------------------------------------------------------------------------
    def ensure_session(self) -> EditSession | None:
        """The session of the shown image: started when Edit mode shows it, or on the first edit."""
        shown, path = self.viewer.shown, self.viewer.shown_path
        if self.session is not None and self.session.item is shown:
            return self.session
        classes = self.viewer.classes()
        if shown is None or path is None or classes is None:
            self.window.messages.show_message("Open an image and wait for its labels before editing.", "info")
            return None
        if shown.result.labels.dtype not in (np.uint8, np.uint16):
            return None
        self._start(EditSession.start(path, shown, classes))
        return self.session

    def _start(self, session: EditSession, redraw: bool = False) -> None:
        self.session = session
        drawn = self.view.drawn_labels()
        self.viewer.shown = session.item
        if redraw:
            self.viewer.redraw()
            self._refresh_legend()
        elif drawn is session.original.result.labels:
            self.view.swap_labels(session.doc.labels)  # equal arrays: nothing is redrawn
        self.update_actions()

    # --- picking the paint class ------------------------------------------------------------
    def pick_at(self, x: float, y: float) -> None:
        shown = self.viewer.shown
        if shown is None:
            return
        labels = shown.result.labels
        col, row = int(np.floor(x)), int(np.floor(y))
        if 0 <= row < labels.shape[0] and 0 <= col < labels.shape[1]:
            value = int(labels[row, col])
            if value == IGNORE:
                self.toolbar.set_tool("eraser")
                self.toolbar.eraser_value.set_value(IGNORE)
            else:
                self.toolbar.paint_class.set_value(value)
            self.window.statusBar().showMessage(f"Paint class: {self.toolbar.paint_class.currentText()}", 3000)

    def pick_under_cursor(self) -> None:
        if self.canvas._hover is not None:  # noqa: SLF001 - the canvas's own pointer position
            self.pick_at(*self.canvas._hover)  # noqa: SLF001

    def _on_legend_clicked(self, index: int) -> None:
        if self.edit_mode.isChecked():
            self.toolbar.paint_class.set_value(index)

    # --- discarding, leaving an image --------------------------------------------------------
    def discard(self) -> None:
        """Throw the session away and show the labels it started from."""
        self.canvas.cancel()
        self.wait()  # an edit in line belongs to the session being thrown away
        session, self.session = self.session, None
        if session is None:
            return
        self.recovery.discard(session.source)
        if self.viewer.shown is session.item:
            self.viewer.shown = session.original
            self.viewer.redraw()
            self.window.legend.show_counts(session.original.result.class_counts, session.classes.palette)
        self.update_actions()

    def confirm_leave(self) -> bool:
        """True when the shown labels may be replaced: saved, discarded, or nothing to lose."""
        self.canvas.cancel()
        self.wait()  # what the user did before leaving is part of what is saved or discarded
        session = self.session
        if session is None or not session.doc.dirty:
            return True
        if self.autosave.isChecked() and self.saver.save():
            return True
        answer = prompts.ask_unsaved(self.window, session.source.name)
        if answer == "save":
            return self.saver.save()
        if answer == "discard":
            self.discard()
            return True
        return False

    @Slot(object)
    def _on_result_shown(self, item: CachedView) -> None:
        if self.session is not None and item is not self.session.item:
            self.session = None  # the viewer moved on (confirm_leave settled the edits)
            self.update_actions()
        self._sync_classes()
        self._offer_recovery()
        if self.session is None and self.edit_mode.isChecked():
            self.ensure_session()

    def _offer_recovery(self) -> None:
        shown, path, classes = self.viewer.shown, self.viewer.shown_path, self.viewer.classes()
        if shown is None or path is None or classes is None:
            return
        found = read_recovery(self.recovery.folder, path, shown.result.labels.shape, len(classes))
        if found is None:
            return
        if not prompts.ask_restore(self.window, path.name, found.saved_at):
            self.recovery.discard(path)
            return
        session = EditSession.start(path, shown, classes, found.labels)
        if found.stem:  # only saved sessions record their stem: their own files
            session.stem, session.stem_known = Path(found.stem), True
        self._start(session, redraw=True)
        self.window.statusBar().showMessage(f"Restored the unsaved edits of {path.name}", 6000)

    def shutdown(self) -> None:
        self.queue.close()
        self.recovery.close()
