"""Keeps what the window says in step with what it shows, without waiting for the mouse.

- The title names the image on screen: a requested image takes the title only once
  its photo appears (flicking through a folder never shows one name over another
  picture); a file that could not be shown is named with the message about it.
- The pixel read-out and zoom are read again whenever the image, its result or the
  zoom change under a pointer that has not moved, and cleared when it leaves.
- Messages from the viewer are about the image current at the time; once another
  image is on screen they go away by themselves (MessageBar topics).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Slot
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

IMAGE_TOPIC = "image:"


class WindowStateSync(QObject):
    """A QObject so that the worker's signals reach it queued, in the GUI thread."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.w = window
        self._pointer: QPointF | None = None  # scene position of the pointer over the view
        view = window.view
        view.graphics.scene().sigMouseMoved.connect(self._remember_pointer)
        view.graphics.viewport().installEventFilter(self)
        view.main_pane.view.sigRangeChanged.connect(self.refresh_readout)  # zoom, pan, fit of a new image
        # Connected after the viewer's own slots, so these run once it has taken the change in.
        window.worker.imageLoaded.connect(self._on_image_loaded)
        window.viewer.resultShown.connect(self._on_result_shown)
        window.viewer.message.connect(self._after_message)

    # --- messages -------------------------------------------------------------------
    def show_viewer_message(self, level: str, text: str) -> None:
        """The viewer's messages, tagged with the image they are about."""
        self.w.messages.show_message(text, level, topic=self._topic(self.w.viewer.current))

    @staticmethod
    def _topic(path: Path | None) -> str:
        return f"{IMAGE_TOPIC}{path}" if path is not None else IMAGE_TOPIC

    def _on_screen_now(self) -> None:
        viewer = self.w.viewer
        if self.w.view.has_image():
            self.w.messages.dismiss_stale(IMAGE_TOPIC, self._topic(viewer.shown_path))
        self.update_title()
        self.refresh_readout()

    @Slot(int, object)
    def _on_image_loaded(self, rid: int, _loaded: object) -> None:
        if rid == self.w.viewer.current_id:
            self._on_screen_now()

    @Slot(object)
    def _on_result_shown(self, _item: object) -> None:
        self._on_screen_now()

    @Slot(str, str)
    def _after_message(self, _level: str, _text: str) -> None:
        self.update_title()  # a file that failed: the view shows its message, the title its name
        self.refresh_readout()

    # --- title ----------------------------------------------------------------------
    def update_title(self) -> None:
        # the rule: app.viewing.state; Qt draws "[*]" as "*" while the editor has unsaved edits
        self.w.setWindowTitle(self.w.viewer.state.title() + "[*]")

    # --- pointer read-out -----------------------------------------------------------
    def _remember_pointer(self, scene_pos: QPointF) -> None:
        self._pointer = QPointF(scene_pos)  # the viewer reads this position out itself

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override (the viewport)
        if (event.type() == QEvent.Type.Leave and isinstance(watched, QWidget)
                and not watched.rect().contains(watched.mapFromGlobal(QCursor.pos()))):
            self._pointer = None  # (a Leave with the pointer still inside: the view was swapped for a message)
            self.w.readout.set_cursor(-1, -1, None, None)
        return False

    def refresh_readout(self, *_args: object) -> None:
        view, readout = self.w.view, self.w.readout
        readout.set_zoom(view.pixel_scale() if view.has_image() else 0.0)
        viewport = view.graphics.viewport()
        if viewport.underMouse():  # a real pointer: where it is now (a banner may have moved the view)
            self._pointer = view.graphics.mapToScene(viewport.mapFromGlobal(QCursor.pos()))
        if self._pointer is None:
            return
        hit = view.pixel_at(self._pointer) if view.has_image() else None
        x, y = hit if hit is not None else (-1, -1)
        name, confidence = self.w.viewer.readout_at(x, y)
        readout.set_cursor(x, y, name, confidence)
