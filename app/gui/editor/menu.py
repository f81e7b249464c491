"""The editor's actions: the Edit menu, the toolbar's buttons, their keys, and which of
them are enabled (what waits for an edit being computed is shown busy or disabled)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtGui import QAction, QKeySequence

from app.gui.editor.toolbar import PICK_KEY, SIZE_KEYS

if TYPE_CHECKING:
    from app.gui.editor.link import EditorLink


class EditorActions:
    """Builds the actions of ``link`` (an ``EditorLink``) and keeps their enabled state."""

    def __init__(self, link: "EditorLink") -> None:
        self.link, self.window = link, link.window
        bar, canvas = link.toolbar, link.canvas
        self.edit_mode = self._action("&Edit Labels", link.set_edit_mode, ("Ctrl+E",),
                                      "Correct the labels with a brush, eraser, fill, polygon or replace (Ctrl+E)",
                                      checkable=True)
        self.undo = self._action("&Undo", link.undo_edit, (QKeySequence.StandardKey.Undo,), "Undo (Ctrl+Z)")
        self.redo = self._action("&Redo", link.redo_edit, ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo (Ctrl+Shift+Z, Ctrl+Y)")
        self.save = self._action("&Save Labels", link.saver.save, (QKeySequence.StandardKey.Save,),
                                 "Save the edited labels as the palette PNG, colour PNG and JSON (Ctrl+S)")
        self.pick = self._action("&Pick Class Under Cursor", link.pick_under_cursor, (PICK_KEY,),
                                 f"The class under the cursor becomes the paint class ({PICK_KEY}, or Alt+click)")
        self.smaller = self._action("S&maller Brush", lambda: bar.step_size(1 / 1.25), (SIZE_KEYS[0],))
        self.larger = self._action("&Larger Brush", lambda: bar.step_size(1.25), (SIZE_KEYS[1],))
        self.finish = self._action("&Finish Polygon", canvas.finish_polygon, ("Return", "Enter"))
        self.cancel = self._action("&Cancel Polygon", canvas.cancel, ("Escape",))
        self.back = self._action("Remove Last &Corner", canvas.remove_last_point, ("Backspace",))
        self.replace_all = self._action("Replace in &Whole Image", link.replace_everywhere,
                                        tip="Replace the class of the Replace tool's box by the paint class "
                                            "everywhere")
        self.revert = self._action("Re&vert to Saved", link.discard,
                                   tip="Throw away the edits of this image since it was opened or saved")
        settings = self.window.settings
        self.autosave = self._action("Save &Automatically", settings.set_autosave_edits,
                                     tip="Save edited labels without asking when leaving an image", checkable=True)
        self.autosave.setChecked(settings.autosave_edits())
        self._build_menu()

    def _action(self, text: str, slot: Callable, keys=(), tip: str = "",  # noqa: ANN001 - keys or StandardKeys
                checkable: bool = False) -> QAction:
        # the window's own helper: the shortcut works with the menu bar hidden too
        return self.window.actions_.make_action(text, slot, list(keys), checkable=checkable,
                                                tip=tip or text.replace("&", ""))

    def _build_menu(self) -> None:
        actions, bar = self.window.actions_, self.link.toolbar
        for action in bar.tool_actions.values():
            self.window.addAction(action)
        menu = self.menu = actions.add_menu("edit", "&Edit", before="view")
        menu.addActions([self.edit_mode, self.undo, self.redo])
        menu.addSeparator()
        menu.addActions(list(bar.tool_actions.values()))
        menu.addActions([self.pick, self.smaller, self.larger])
        menu.addSeparator()
        menu.addActions([self.finish, self.back, self.cancel, self.replace_all])
        menu.addSeparator()
        menu.addActions([self.save, self.revert, self.autosave])
        actions.add_to_menu("file", self.save, before="file:export")
        bar.addActions([self.undo, self.redo, self.save])
        actions.toolbar.addSeparator()
        actions.toolbar.addAction(self.edit_mode)

    def update(self) -> None:
        """Undo and redo when there is a step (or an edit in line that will make one); Save and
        Revert wait until the edit being computed is applied."""
        session, queue = self.link.session, self.link.queue
        doc = session.doc if session else None
        computing = bool(queue.busy_with())
        self.undo.setEnabled(bool(doc and (doc.can_undo() or queue.busy())))
        self.redo.setEnabled(bool(doc and (doc.can_redo() or queue.busy())))
        self.revert.setEnabled(bool(doc and doc.dirty) and not computing)
        self.save.setEnabled(not computing)
