"""pyqtgraph, bound to PySide6 and set to row-major images (H, W arrays show upright)."""

import PySide6.QtCore  # noqa: F401  (pyqtgraph binds to the first Qt already imported)
import pyqtgraph as pg

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)

__all__ = ["pg"]
