"""The label editor in the main window: Edit mode, tools, undo/redo, and the session.

The edit model is Qt-free (app.editing); this wires it to the view (strokes from
``EditCanvas``, redraws of the changed box only), the legend (areas, click to pick a
class), the toolbar, recovery files and saving (``EditSaver``). The viewer asks
``confirm_leave`` before anything replaces the shown labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QTreeWidgetItem

from app.editing import IGNORE, tools
from app.editing.recovery import read_recovery
from app.editing.undo import Box
from app.gui.editor import prompts
from app.gui.editor.canvas import EditCanvas
from app.gui.editor.recovery_writer import RecoveryWriter
from app.gui.editor.save_flow import EditSaver
from app.gui.editor.session import EditSession
from app.gui.editor.toolbar import PICK_KEY, SIZE_KEYS, EditToolbar
from app.gui.result_cache import CachedView

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

LEGEND_DELAY_MS = 120  # the legend's areas follow a stroke at most this often


class EditorLink(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.viewer, self.view = window, window.viewer, window.view
        self.session: EditSession | None = None
        self.toolbar = EditToolbar(window)
        window.addToolBarBreak()
        window.addToolBar(self.toolbar)
        self.toolbar.hide()
        self.canvas = EditCanvas(window.view, self)
        self.recovery = RecoveryWriter(window.settings.recovery_dir())
        self.saver = EditSaver(self)
        self._last_point: tuple[float, float] | None = None
        self._class_names: tuple[str, ...] = ()
        self._legend_timer = QTimer(self)
        self._legend_timer.setSingleShot(True)
        self._legend_timer.setInterval(LEGEND_DELAY_MS)
        self._legend_timer.timeout.connect(self._refresh_legend)
        self._build_actions()
        self.toolbar.size.setValue(window.settings.brush_size())
        self.toolbar.size.valueChanged.connect(self._on_size)
        self.toolbar.connect_tools(self._on_tool)
        self.viewer.leave_guard = self.confirm_leave
        self.viewer.resultShown.connect(self._on_result_shown)
        window.legend.tree.itemClicked.connect(self._on_legend_clicked)

    # --- actions -------------------------------------------------------------------------
    def _action(self, text: str, slot, keys=(), tip: str = "", checkable: bool = False) -> QAction:  # noqa: ANN001
        # the window's own helper: the shortcut works with the menu bar hidden too
        return self.window.actions_._action(text, slot, list(keys), checkable=checkable,  # noqa: SLF001
                                            tip=tip or text.replace("&", ""))

    def _build_actions(self) -> None:
        actions, bar = self.window.actions_, self.toolbar
        self.edit_mode = self._action("&Edit Labels", self.set_edit_mode, ("Ctrl+E",),
                                      "Correct the labels with a brush, eraser, fill, polygon or replace (Ctrl+E)",
                                      checkable=True)
        self.undo = self._action("&Undo", self.undo_edit, (QKeySequence.StandardKey.Undo,), "Undo (Ctrl+Z)")
        self.redo = self._action("&Redo", self.redo_edit, ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo (Ctrl+Shift+Z, Ctrl+Y)")
        self.save = self._action("&Save Labels", self.saver.save, (QKeySequence.StandardKey.Save,),
                                 "Save the edited labels as the palette PNG, colour PNG and JSON (Ctrl+S)")
        self.pick = self._action("&Pick Class Under Cursor", self.pick_under_cursor, (PICK_KEY,),
                                 f"The class under the cursor becomes the paint class ({PICK_KEY}, or Alt+click)")
        self.smaller = self._action("S&maller Brush", lambda: self.toolbar.step_size(1 / 1.25), (SIZE_KEYS[0],))
        self.larger = self._action("&Larger Brush", lambda: self.toolbar.step_size(1.25), (SIZE_KEYS[1],))
        self.finish = self._action("&Finish Polygon", self.canvas.finish_polygon, ("Return", "Enter"))
        self.cancel = self._action("&Cancel Polygon", self.canvas.cancel, ("Escape",))
        self.back = self._action("Remove Last &Corner", self.canvas.remove_last_point, ("Backspace",))
        self.replace_all = self._action("Replace in &Whole Image", self.replace_everywhere,
                                        tip="Replace the Replace class by the paint class everywhere")
        self.revert = self._action("Re&vert to Saved", self.discard,
                                   tip="Throw away the edits of this image since it was opened or saved")
        self.autosave = self._action("Save &Automatically", self.window.settings.set_autosave_edits,
                                     tip="Save edited labels without asking when leaving an image", checkable=True)
        self.autosave.setChecked(self.window.settings.autosave_edits())
        for action in bar.tool_actions.values():
            self.window.addAction(action)
        menu = self.menu = QMenu("&Edit", self.window)
        self.window.menuBar().insertMenu(actions.menus["view"].menuAction(), menu)
        actions.menus["edit"] = menu
        menu.addActions([self.edit_mode, self.undo, self.redo])
        menu.addSeparator()
        menu.addActions(list(bar.tool_actions.values()))
        menu.addActions([self.pick, self.smaller, self.larger])
        menu.addSeparator()
        menu.addActions([self.finish, self.back, self.cancel, self.replace_all])
        menu.addSeparator()
        menu.addActions([self.save, self.revert, self.autosave])
        actions.menus["file"].insertAction(actions.export_menu.menuAction(), self.save)
        bar.addActions([self.undo, self.redo, self.save])
        actions.toolbar.addSeparator()
        actions.toolbar.addAction(self.edit_mode)
        self._update_actions()

    def _update_actions(self) -> None:
        doc = self.session.doc if self.session else None
        self.undo.setEnabled(bool(doc and doc.can_undo()))
        self.redo.setEnabled(bool(doc and doc.can_redo()))
        self.revert.setEnabled(bool(doc and doc.dirty))

    # --- mode and tools -------------------------------------------------------------------
    def active(self) -> bool:
        return self.edit_mode.isChecked() and self.viewer.shown is not None

    def set_edit_mode(self, on: bool) -> None:
        self.edit_mode.setChecked(bool(on))
        self.toolbar.setVisible(bool(on))
        if not on:
            self.canvas.cancel()
        self._sync_classes()
        if on and self.viewer.shown is not None:
            self.ensure_session()  # its copy of the map is made now, not on the first stroke
        self.canvas.refresh_cursor()

    def tool(self) -> str:
        return self.toolbar.tool()

    def brush_size(self) -> int:
        return self.toolbar.size.value()

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
        self._update_actions()

    def _changed(self, box: Box | None, step_done: bool = True, drawn: bool = False) -> None:
        """Redraw what changed (unless ``drawn``: a stroke's segments already were); after a
        finished step also the legend, hatching and recovery."""
        session = self.session
        if box is None or session is None:
            return
        if not drawn:
            self.view.update_labels(box, session.doc.labels)
        if not step_done:
            if not self._legend_timer.isActive():
                self._legend_timer.start()
            return
        self._refresh_legend()
        if self.viewer.threshold.active():
            self.viewer.redraw()
        self.recovery.submit(session.source, session.doc.labels.copy(), session.stem)
        self._update_actions()

    def _refresh_legend(self) -> None:
        if self.session is not None:
            self.session.item.result.class_counts = self.session.doc.class_counts()
            self.window.legend.show_counts(self.session.item.result.class_counts, self.session.classes.palette)

    # --- tools (called by the canvas) ---------------------------------------------------------
    def begin_stroke(self, x: float, y: float) -> None:
        session = self.ensure_session()
        if session is None:
            return
        session.doc.begin_stroke()
        self._last_point = (x, y)
        self._changed(session.doc.stroke_to((x, y), (x, y), self.brush_size(), self._stroke_value()),
                      step_done=False)

    def stroke_to(self, x: float, y: float) -> None:
        if self.session is None or self._last_point is None:
            return
        box = self.session.doc.stroke_to(self._last_point, (x, y), self.brush_size(), self._stroke_value())
        self._last_point = (x, y)
        self._changed(box, step_done=False)

    def end_stroke(self) -> None:
        self._last_point = None
        if self.session is not None:
            self._changed(self.session.doc.end_stroke(), drawn=True)

    def _stroke_value(self) -> int:
        if self.tool() == "eraser":
            value = self.toolbar.eraser_value.value()
            return IGNORE if value is None else value
        return self.paint_value()

    def fill_at(self, x: float, y: float) -> None:
        session = self.ensure_session()
        if session is not None:
            self._changed(session.doc.fill(int(np.floor(x)), int(np.floor(y)), self.paint_value()))

    def region_done(self, points: list[tuple[float, float]], rectangle: bool) -> None:
        session = self.ensure_session()
        if session is None:
            return
        shape = session.doc.shape
        region = tools.rectangle_region(shape, *points) if rectangle else tools.polygon_region(shape, points)
        if self.tool() == "replace":
            old = self.toolbar.replace_from.value()
            box = session.doc.replace(old, self.paint_value(), region) if region is not None and old is not None else None
        else:
            box = session.doc.paint(region, self.paint_value())
        self._changed(box)

    def replace_everywhere(self) -> None:
        session = self.ensure_session()
        old = self.toolbar.replace_from.value()
        if session is not None and old is not None:
            self._changed(session.doc.replace(old, self.paint_value()))

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

    def _on_legend_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if self.edit_mode.isChecked():
            self.toolbar.paint_class.set_value(int(item.data(0, Qt.ItemDataRole.UserRole)))

    # --- undo, redo, discard ------------------------------------------------------------------
    def undo_edit(self) -> None:
        if self.session is not None:
            self.canvas.cancel()
            self._changed(self.session.doc.undo())

    def redo_edit(self) -> None:
        if self.session is not None:
            self._changed(self.session.doc.redo())

    def discard(self) -> None:
        """Throw the session away and show the labels it started from."""
        session, self.session = self.session, None
        if session is None:
            return
        self.canvas.cancel()
        self.recovery.discard(session.source)
        if self.viewer.shown is session.item:
            self.viewer.shown = session.original
            self.viewer.redraw()
            self.window.legend.show_counts(session.original.result.class_counts, session.classes.palette)
        self._update_actions()

    # --- leaving an image ----------------------------------------------------------------------
    def confirm_leave(self) -> bool:
        """True when the shown labels may be replaced: saved, discarded, or nothing to lose."""
        session = self.session
        self.canvas.cancel()
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
            self._update_actions()
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
        self.recovery.close()
