"""The pyramid pooling inspector: a self-contained dock the main window hosts.

Wiring (see docs/inspector.md)::

    dock = PPMInspectorDock(submit=worker_submitter(worker, parent=link))
    main_window.addDockWidget(Qt.RightDockWidgetArea, dock)
    # after each segmentation made with capture=True (model: the worker's ModelInfo):
    dock.set_result(image, result, model)
    # on a click in the main view:
    dock.show_pixel(x, y)
"""

from app.gui.inspector.dock import PPMInspectorDock
from app.gui.inspector.jobs import ThreadPoolSubmitter, synchronous_submit, worker_submitter
from app.gui.inspector.maps_tab import MapOverlay

__all__ = ["PPMInspectorDock", "MapOverlay", "ThreadPoolSubmitter", "synchronous_submit",
           "worker_submitter"]
