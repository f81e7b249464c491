"""The pyramid pooling inspector: a self-contained dock the main window hosts.

Wiring (see docs/inspector.md)::

    from app.gui.worker_bridge import worker_submitter

    dock = PPMInspectorDock(submit=worker_submitter(worker, parent=link))
    main_window.addDockWidget(Qt.RightDockWidgetArea, dock)
    # after each segmentation made with capture=True (model: the worker's ModelInfo):
    dock.set_result(image, result, model)
    # on a click in the main view:
    dock.show_pixel(x, y)

The submit hooks themselves live outside the inspector (``app.gui.jobs``,
``app.gui.thread_pool``, ``app.gui.worker_bridge``): the editor and the batch use them too.
"""

from app.gui.inspector.dock import PPMInspectorDock
from app.gui.inspector.overlay import MapOverlay
# Kept in the inspector's public names: the way to drive the dock synchronously, which
# tests/gui/inspector_fixtures.py (another change in flight) imports from here.
from app.gui.jobs import synchronous_submit

__all__ = ["PPMInspectorDock", "MapOverlay", "synchronous_submit"]
