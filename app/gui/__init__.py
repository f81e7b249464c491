"""The desktop viewer: a thin Qt layer over the Qt-free engine.

Nothing in this package is imported by the core; torch is imported only inside
the worker thread (app.gui.worker) so the window can appear before it loads.
"""
