"""Hosting the pyramid pooling inspector in the main window.

The dock itself (app/gui/inspector) knows nothing of the window; this link feeds it:
the viewer segments with ``capture=True`` while the dock is visible, every result
shown goes to ``dock.set_result``, clicks in the main view go to ``show_pixel``, and
the dock's map overlay is drawn over the photo as one more ImageItem.

The dock is told which model made the capture by the viewer's ``ModelInfo``; the network
itself stays in the worker, where the dock's jobs use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from app.gui.inspector import MapOverlay, PPMInspectorDock
from app.gui.worker_bridge import worker_submitter
from app.viewing.cache import CachedView

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

SHORTCUT = "Ctrl+Shift+I"  # Ctrl+I is Model > Model Card
ROOM = 420  # the height the docked inspector asks for (a map and the bars); less scrolls
KEEP = 240  # what the docks above it keep (the legend: its filter and about eight rows)
WIDTH = (480, 620)  # the docked inspector's width: 40 % of the window within these bounds
OVERLAY_Z = 10  # above the photo, fill, confidence and contour layers


class InspectorLink(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.viewer = window.viewer
        self._submit = worker_submitter(window.worker, parent=self)
        self.dock = PPMInspectorDock(submit=self._submit, parent=window)
        self.dock.setWindowTitle("Pyramid Pooling Inspector")
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()  # until asked for (restoreState may show it again)
        self.action: QAction = self.dock.toggleViewAction()
        self.action.setText("Pyramid Pooling &Inspector")
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setIconText("Inspector")
        self.action.setToolTip(f"Look inside the pyramid pooling module ({SHORTCUT})")
        window.addAction(self.action)
        self.overlay = pg.ImageItem()
        self.overlay.setZValue(OVERLAY_Z)
        self.overlay.setVisible(False)
        window.view.main_pane.view.addItem(self.overlay)
        self._latest: CachedView | None = None  # last result shown, for when the dock opens
        self._sized = False

        self.dock.visibilityChanged.connect(self._on_visibility)
        self.dock.overlayChanged.connect(self._on_overlay)
        self.dock.message.connect(self._on_message)
        self.viewer.resultShown.connect(self._on_result_shown)
        window.view.pixelClicked.connect(self._on_pixel_clicked)

    def is_open(self) -> bool:
        return self.dock.isVisible()  # False too while another dock's tab covers it

    # --- results and clicks -------------------------------------------------------------
    @Slot(object)
    def _on_result_shown(self, item: CachedView) -> None:
        self._latest = item
        if self.is_open():
            self._feed(item)

    def _feed(self, item: CachedView) -> None:
        model = self.viewer.model
        if model is None:
            return  # no model yet: nothing it shows was captured
        self.dock.set_result(item.image, item.result, model)

    @Slot(int, int)
    def _on_pixel_clicked(self, x: int, y: int) -> None:
        if self.is_open():
            self.dock.show_pixel(x, y)

    @Slot(bool)
    def _on_visibility(self, _visible: bool) -> None:
        open_ = self.is_open()
        was = self.viewer.capture
        self.viewer.capture = open_
        self.overlay.setVisible(open_ and self.overlay.image is not None)
        if not open_ or was:
            return
        QTimer.singleShot(0, self, self._give_room)  # after the window has laid the docks out
        latest = self._latest
        if latest is not None and latest.image is (self.viewer.shown.image if self.viewer.shown else None) \
                and getattr(latest.result, "activations", None) is not None:
            self._feed(latest)
        elif self.viewer.current is not None:
            self.viewer.rerun()  # the result on screen has no activations: segment it again
        elif latest is not None:
            self._feed(latest)  # an in-memory image: the dock explains what is missing
        else:
            self.dock.clear()

    def _give_room(self) -> None:
        """The first time it opens in a session, a cramped dock gets most of its column.

        The other docks sharing the column (legend, threshold panel, ...) keep KEEP px (or
        their minimum), so at 1400x880 the inspector's map is not a sliver and the legend
        still lists several classes; the width leaves the image most of the window.
        """
        window, dock = self.window, self.dock
        if self._sized or dock.isFloating() or not dock.isVisible() or dock.height() <= 0:
            return  # (not laid out yet: the next opening tries again)
        self._sized = True
        area = window.dockWidgetArea(dock)
        # a dock tabbed behind another is "visible" but laid out off screen: only the
        # group's shown tab (a non-empty visible region) stands for its place
        column = [d for d in window.findChildren(QDockWidget)
                  if d is not dock and d.isVisible() and not d.visibleRegion().isEmpty() and not d.isFloating()
                  and window.dockWidgetArea(d) == area and dock not in window.tabifiedDockWidgets(d)]
        total = dock.height() + sum(d.height() for d in column)
        # KEEP each, also where the window's split left one less (the legend's tab group got
        # ~190 px at 1440x900: its threshold tab showed two classes)
        others = [max(d.minimumSizeHint().height(), KEEP) for d in column]
        if column and (dock.height() < 0.65 * total or any(d.height() < KEEP - 10 for d in column)):
            window.resizeDocks([*column, dock], [*others, max(total - sum(others), ROOM)], Qt.Orientation.Vertical)
        width = max(WIDTH[0], min(WIDTH[1], int(0.4 * window.width())))  # the image keeps the rest
        if dock.width() < width:
            window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    # --- overlay --------------------------------------------------------------------------
    @Slot(object)
    def _on_overlay(self, overlay: MapOverlay | None) -> None:
        if overlay is None:
            self.overlay.clear()
            self.overlay.setVisible(False)
            return
        self.overlay.setImage(overlay.rgba, autoLevels=False, levels=(0, 255))
        self.overlay.setRect(QRectF(*overlay.rect))
        self.overlay.setVisible(self.is_open())

    @Slot(str)
    def _on_message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 6000)
