"""What the edit tools do to the shown map: strokes, fill, polygon, replace, undo and redo,
and the redraw of what they changed (the part of ``EditorLink`` the canvas calls).

Every edit goes through the link's ``EditQueue``, in the order it was asked for. On a big
map (over ``BACKGROUND_PIXELS``) a fill, polygon, replace, undo or redo is computed on
the queue's thread (``app.editing.prepared``) and applied on the GUI thread in one copy
of its box; brush segments are small and run at once, or wait in line behind such an
edit. The tool's parameters (class, size) are taken when the user acts, not when the
edit gets its turn. "Over" (paint only over a class or ignore) restricts the brush, eraser,
fill and polygon, not Replace, which has its own class to change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from app.editing import IGNORE, LabelMapEdit, prepared, tools
from app.editing.undo import Box, EditStep

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from app.gui.editor.canvas import EditCanvas
    from app.gui.editor.edit_queue import EditQueue
    from app.gui.editor.recovery_writer import RecoveryWriter
    from app.gui.editor.session import EditSession
    from app.gui.editor.toolbar import EditToolbar
    from app.gui.image_view import SegmentationView
    from app.gui.main_window import MainWindow
    from app.gui.viewer import Viewer

# Maps up to this many pixels are edited on the GUI thread: a whole-map edit of a
# megapixel costs a few ms there, less than handing it to a thread and back.
BACKGROUND_PIXELS = 1 << 20

Prepare = Callable[[LabelMapEdit], "prepared.PreparedEdit | None"]


class ToolEdits:
    """Mixed into ``EditorLink``: uses its session, queue, view, toolbar and canvas."""

    session: "EditSession | None"
    _last_point: tuple[float, float] | None
    _stroke_note: str = ""  # said when the stroke changed nothing because of Over
    if TYPE_CHECKING:  # the rest of what this uses of EditorLink, for the type checker only
        window: MainWindow
        viewer: Viewer
        view: SegmentationView
        toolbar: EditToolbar
        canvas: EditCanvas
        queue: EditQueue
        recovery: RecoveryWriter
        _legend_timer: QTimer

        def tool(self) -> str: ...
        def brush_size(self) -> int: ...
        def paint_value(self) -> int: ...
        def ensure_session(self) -> EditSession | None: ...
        def update_actions(self) -> None: ...

    # --- brush and eraser (called by the canvas) -------------------------------------------
    def begin_stroke(self, x: float, y: float) -> None:
        size, value, over, note = self.brush_size(), self._stroke_value(), self._over(), self._over_note()
        self.queue.then(lambda: self._begin_stroke(x, y, size, value, over, note))

    def stroke_to(self, x: float, y: float) -> None:
        size, value, over = self.brush_size(), self._stroke_value(), self._over()
        self.queue.then(lambda: self._stroke_to(x, y, size, value, over))

    def end_stroke(self) -> None:
        self.queue.then(self._end_stroke)

    def _begin_stroke(self, x: float, y: float, size: int, value: int, over: int | None, note: str) -> None:
        session = self.ensure_session()
        if session is None:
            return
        session.doc.begin_stroke()
        self._last_point, self._stroke_note = (x, y), note
        self._changed(session.doc.stroke_to((x, y), (x, y), size, value, over), step_done=False)

    def _stroke_to(self, x: float, y: float, size: int, value: int, over: int | None) -> None:
        if self.session is None or self._last_point is None:
            return
        box = self.session.doc.stroke_to(self._last_point, (x, y), size, value, over)
        self._last_point = (x, y)
        self._changed(box, step_done=False)

    def _end_stroke(self) -> None:
        self._last_point = None
        note, self._stroke_note = self._stroke_note, ""
        if self.session is not None:
            box = self.session.doc.end_stroke()
            self._changed(box, drawn=True)
            if box is None:
                self._say(note)

    def _stroke_value(self) -> int:
        if self.tool() == "eraser":
            value = self.toolbar.eraser_value.value()
            return IGNORE if value is None else value
        return self.paint_value()

    def _over(self) -> int | None:
        return self.toolbar.paint_over.over()

    def _over_note(self) -> str:
        """What to say when a tool changed nothing while Over restricts it ("" when it does not)."""
        if self._over() is None:
            return ""
        return f"Nothing changed: only {self.toolbar.paint_over.described()} pixels can change (Over)"

    def _say(self, note: str) -> None:
        if note:
            self.window.statusBar().showMessage(note, 5000)

    # --- fill, polygon, replace --------------------------------------------------------------
    def fill_at(self, x: float, y: float) -> None:
        col, row, value = int(np.floor(x)), int(np.floor(y)), self.paint_value()
        over, contiguous = self._over(), self.toolbar.contiguous.isChecked()
        self.edit("Filling", lambda doc: prepared.prepare_fill(doc, col, row, value, over, contiguous),
                  note=self._over_note())

    def region_done(self, points: list[tuple[float, float]], rectangle: bool) -> None:
        value, old, replacing = self.paint_value(), self.toolbar.replace_from.value(), self.tool() == "replace"
        over = None if replacing else self._over()
        if replacing and old is None:
            return

        def prepare(doc: LabelMapEdit) -> "prepared.PreparedEdit | None":
            region = (tools.rectangle_region(doc.shape, *points) if rectangle
                      else tools.polygon_region(doc.shape, points))
            if replacing:
                if region is None or old is None:  # old was checked above (again here for the closure's type)
                    return None
                return prepared.prepare_replace(doc, old, value, region)
            return prepared.prepare_polygon(doc, region, value, over)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        area = (max(xs) - min(xs) + 2) * (max(ys) - min(ys) + 2)  # the region's box at most
        self.edit("Replacing" if replacing else "Filling the polygon", prepare,
                  cheap=lambda _doc: area <= BACKGROUND_PIXELS, note="" if replacing else self._over_note())

    def replace_everywhere(self) -> None:
        old, value = self.toolbar.replace_from.value(), self.paint_value()
        if old is not None:
            # the Replace box shows only with the Replace tool: say which classes this is
            self._say(f"Replacing {self.toolbar.replace_from.currentText()} by "
                      f"{self.toolbar.paint_class.currentText()} in the whole image")
            self.edit("Replacing", lambda doc: prepared.prepare_replace(doc, old, value))

    # --- undo, redo ------------------------------------------------------------------------------
    def undo_edit(self) -> None:
        if self.session is not None:
            self.canvas.cancel()
            self.edit("Undoing", prepared.prepare_undo, start=False,
                      cheap=lambda doc: _small_step(doc.history.next_undo()))

    def redo_edit(self) -> None:
        if self.session is not None:
            self.edit("Redoing", prepared.prepare_redo, start=False,
                      cheap=lambda doc: _small_step(doc.history.next_redo()))

    # --- running an edit -------------------------------------------------------------------------
    def edit(self, what: str, prepare: Prepare, start: bool = True,
             cheap: Callable[[LabelMapEdit], bool] | None = None, note: str = "") -> None:
        """Prepare and commit one edit in its turn: on the queue's thread on a big map,
        unless ``cheap(doc)`` says it touches few pixels. ``start``: the edit may start a
        session (a tool does; undo and redo need one). ``note``: said when it changes nothing."""
        def begin() -> None:
            session = self.ensure_session() if start else self.session
            if session is None:
                return
            doc = session.doc
            commit = lambda edit: self._commit(session, edit, note)
            if doc.labels.size <= BACKGROUND_PIXELS or (cheap is not None and cheap(doc)):
                commit(prepare(doc))
            else:
                self.queue.run(lambda: prepare(doc), commit, what)
        # A stroke still open is a step first; its recovery copy (made in line on a big map)
        # is taken before the edit changes the map.
        self.queue.then(self._close_stroke)
        self.queue.then(begin)

    def _close_stroke(self) -> None:
        if self.session is not None:
            self._stroke_note = ""  # a stroke closed here is not one that changed nothing
            self._changed(self.session.doc.end_stroke(), drawn=True)

    def _commit(self, session: "EditSession", edit: "prepared.PreparedEdit | None", note: str = "") -> None:
        box = session.doc.commit(edit)
        if session is self.session:
            self._changed(box)
            if box is None:
                self._say(note)

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
        self._save_recovery(session)
        self.update_actions()

    def _save_recovery(self, session: "EditSession") -> None:
        """Hand a copy of the map to the recovery writer; a big map's copy is made in line
        on the queue's thread (the map does not change until it is made)."""
        labels = session.doc.labels
        submit: Callable[[Any], None] = lambda copy: self.recovery.submit(session.source, copy, session.stem)
        if labels.size <= BACKGROUND_PIXELS:
            submit(labels.copy())
        else:
            self.queue.run(labels.copy, submit)

    def _refresh_legend(self) -> None:
        if self.session is not None:
            self.session.item.result.class_counts = self.session.doc.class_counts()
            self.window.legend.show_counts(self.session.item.result.class_counts, self.session.classes.palette)


def _small_step(step: "EditStep | None") -> bool:
    if step is None:
        return True
    y0, y1, x0, x1 = step.box
    return (y1 - y0) * (x1 - x0) <= BACKGROUND_PIXELS
