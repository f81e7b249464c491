"""The GUI's name for app.viewing.rendering (lookup tables, contours, hatching; numpy only).

The functions live in the Qt-free app.viewing so the viewer's state and the worker's
preparation of what is drawn use them without Qt; GUI modules may import them from here.
"""

from app.viewing.rendering import (HATCH_RGBA, HIGHLIGHT_DIM_ALPHA, boundary_mask, contour_labels,
                                   contour_thickness, hatch_period, hatched_labels, hatched_lut, mask_levels,
                                   overlay_lut)

__all__ = ["HATCH_RGBA", "HIGHLIGHT_DIM_ALPHA", "boundary_mask", "contour_labels", "contour_thickness",
           "hatch_period", "hatched_labels", "hatched_lut", "mask_levels", "overlay_lut"]
