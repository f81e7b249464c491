"""The inspector dock's model work: what its tabs and the main window ask of the network.

Mixed into ``PPMInspectorDock`` (the tabs' signals and the window's clicks arrive on the
dock). Each request builds a job (``capture_jobs``) for the dock's ``submit`` hook, so it
runs off the GUI thread, in the thread that owns the model; an answer for an image the
user has left is dropped (the dock's generation counter), a failure is said on the dock's
status line. Each request of a kind that runs the network gets a cancel event of its own
(``_new_request``): a newer one of the same kind cancels the one before (a receptive field,
a stage Grad-CAM, a PPM Grad-CAM, an ablation, a split), and leaving the image cancels them
all and the capture's shared head responses (``cancel_requests``), since one click after
another would otherwise queue up to seconds of passes each. A job stopped so answers
``Cancelled``, which ``_run`` drops.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import Slot

from app.gui.inspector import capture_jobs
from app.gui.inspector.erf_tab import NO_CLASS
from app.gui.jobs import Job, OnDone, OnError

if TYPE_CHECKING:
    import numpy as np
    from PySide6.QtWidgets import QTabWidget

    from app.checkpoints.meta import ModelMeta
    from app.engine.ppm_analysis import PPMActivations
    from app.gui.inspector.ablation_tab import AblationTab
    from app.gui.inspector.contrib_tab import ContributionTab
    from app.gui.inspector.erf_tab import ReceptiveFieldTab
    from app.gui.jobs import Submit

# The kinds of request that cancel the one before; "capture": the current image's head
# responses (LazyHeadResponses), cancelled only when the user leaves the image.
RequestKind = Literal["field", "stage_gradcam", "gradcam", "ablation", "split", "capture"]


class ModelRequests:
    """Mixed into ``PPMInspectorDock``: uses its capture (acts, model, head responses, labels,
    photo), its generation counter, its submit hook and its tabs."""

    if TYPE_CHECKING:  # what this uses of the dock, for the type checker only
        acts: PPMActivations | None
        _meta: ModelMeta | None
        _responses: Any  # LazyHeadResponses of the current capture
        _labels: np.ndarray | None
        _image: np.ndarray | None
        _generation: int
        _contrib_pending: bool
        _cancels: dict[RequestKind, threading.Event]
        _submit: Submit
        tabs: QTabWidget
        contrib_tab: ContributionTab
        ablation_tab: AblationTab
        erf_tab: ReceptiveFieldTab

        def say(self, text: str) -> None: ...

    @Slot(int, int)
    def show_pixel(self, x: int, y: int) -> None:
        """Split the logits at photo pixel (x, y), or of the region the selection mode picks there.

        Pixel (and box) mode: that pixel, cheaply (only the few cells it mixes). Connected
        region / whole class: the label map's region or class under (x, y), summed.
        """
        if self.acts is None:
            return
        acts, meta = self.acts, self._meta
        height, width = acts.geometry.image_size
        if not (0 <= x < width and 0 <= y < height):
            return
        erf = self.tabs.currentWidget() is self.erf_tab  # the receptive field there instead of a split
        mode = self.erf_tab.selection_mode() if erf else self.contrib_tab.selection_mode()
        if mode in ("connected", "class") and self._labels is not None:
            from app.engine.ppm_region import class_region, connected_region

            labels = self._labels
            region = connected_region(labels, x, y) if mode == "connected" else class_region(labels, int(labels[y, x]))
            if region is not None and erf:
                self.erf_tab.request_region(region, mode)
            elif not erf:
                self._split(region, mode)
            return
        if erf:
            self.erf_tab.request(x, y)
            return
        self.contrib_tab.map_view.set_marker(x, y)
        self._run(capture_jobs.pixel_split_job(meta, acts, x, y, self._new_request("split")),
                  self.contrib_tab.show_attribution, "splitting the pixel's logit")

    @Slot(int, int, int, int)
    def select_box(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """Split the logits summed over the box with corners (x0, y0), (x1, y1) (included)."""
        if self.acts is None:
            return
        from app.engine.ppm_region import box_region

        self._split(box_region(self.acts.geometry.image_size, x0, y0, x1, y1), "box")

    @Slot(int, int, int, int)
    def select_field_box(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """The receptive field of the box with corners (x0, y0), (x1, y1) (included)."""
        if self.acts is None:
            return
        from app.engine.ppm_region import box_region

        region = box_region(self.acts.geometry.image_size, x0, y0, x1, y1)
        if region is not None:
            self.erf_tab.request_region(region, "box")

    def _split(self, region: Any, kind: str) -> None:
        if region is None or self.acts is None:
            return
        responses = self._responses
        if not responses.ready:
            self.say("Running the head's conv once for this image (region splits need it)…")
        self._run(capture_jobs.region_split_job(self._meta, self.acts, responses, region, kind,
                                                self._new_request("split")),
                  self.contrib_tab.show_split, "region split")

    def _compute_class_maps(self, classes: tuple) -> None:
        if self.acts is None:
            return
        self._run(capture_jobs.class_maps_job(self._meta, self._responses, classes), self.contrib_tab.set_class_maps,
                  "per-part class maps")

    def _compute_field(self, x: int, y: int, class_index: int) -> None:
        if self.acts is None or self._image is None or self._meta is None:
            return
        job = capture_jobs.receptive_field_job(self._meta, self.acts, self._image, x, y,
                                               None if class_index == NO_CLASS else class_index, self._new_request("field"))
        self._run(job, self.erf_tab.set_field, "receptive field", self.erf_tab.set_failed)

    def _compute_region_field(self, region: Any, kind: str, class_index: int) -> None:
        if self.acts is None or self._image is None or self._meta is None:
            return
        job = capture_jobs.region_field_job(self._meta, self.acts, self._image, region, kind,
                                            None if class_index == NO_CLASS else class_index, self._new_request("field"))
        self._run(job, self.erf_tab.set_field, "receptive field of the region", self.erf_tab.set_failed)

    def cancel_requests(self) -> None:
        """Stop every request being computed (the user left the image): their jobs return ``Cancelled``."""
        for event in self._cancels.values():
            event.set()
        self._cancels.clear()

    def _new_request(self, kind: RequestKind) -> threading.Event:
        """The cancel event of a new request of ``kind``; the one before it is cancelled."""
        previous = self._cancels.pop(kind, None)
        if previous is not None:
            previous.set()
        event = self._cancels[kind] = threading.Event()
        return event

    def _compute_stage_gradcam(self, region: Any, class_index: int) -> None:
        """Grad-CAM at the backbone's stages; ``region`` None: the pixels predicted as the class."""
        if self.acts is None or self._image is None or self._meta is None:
            return
        if region is None and self._labels is not None:
            from app.engine.ppm_region import class_region

            region = class_region(self._labels, class_index)
        names = self._meta.classes.names
        name = names[class_index] if 0 <= class_index < len(names) else ""
        job = capture_jobs.stage_gradcam_job(self._meta, self.acts, self._image, region, class_index, name,
                                             self._new_request("stage_gradcam"))
        self._run(job, self.contrib_tab.set_stage_gradcam, "Grad-CAM at the backbone's stages",
                  self.contrib_tab.part_maps.set_failed)

    def _compute_gradcam(self, region: Any, class_index: int) -> None:
        if self.acts is None:
            return
        self._run(capture_jobs.gradcam_job(self._meta, self.acts, region, class_index, self._new_request("gradcam")),
                  self.contrib_tab.set_gradcam, "Grad-CAM")

    @Slot(tuple, str)
    def apply_ablation(self, parts_off: tuple, mode: str) -> None:
        if self.acts is None:
            return
        baseline = self.contrib_tab.maps.logits if self.contrib_tab.maps is not None else None
        self.ablation_tab.set_busy(True)
        self._run(capture_jobs.ablation_job(self._meta, self.acts, parts_off, mode, baseline,
                                            self._new_request("ablation")),
                  self.ablation_tab.set_result, "ablation", self.ablation_tab.set_failed)

    def _ensure_contributions(self) -> None:
        if (self.acts is None or self.contrib_tab.maps is not None or self._contrib_pending
                or self.tabs.currentWidget() is not self.contrib_tab):
            return
        self._contrib_pending = True
        self.contrib_tab.set_status("Computing the contribution maps\u2026")

        def failed(message: str) -> None:
            self._contrib_pending = False
            self.contrib_tab.set_status(f"Could not compute the contribution maps: {message}")

        self._run(capture_jobs.contribution_maps_job(self._meta, self._responses), self.contrib_tab.set_maps,
                  "contribution maps", failed)

    def _run(self, fn: Job, on_done: OnDone, what: str, on_error: OnError | None = None) -> None:
        """Submit a model job; its answer is dropped once the user has left the image, and
        when it is the ``Cancelled`` of a superseded request (the newer one's answer follows)."""
        from app.engine.result import Cancelled  # (no torch in there)

        generation = self._generation

        def done(value: Any) -> None:
            if generation == self._generation and not isinstance(value, Cancelled):
                on_done(value)

        def failed(message: str) -> None:
            if generation != self._generation:
                return
            self.say(f"The inspector's {what} failed: {message}")
            if on_error is not None:
                on_error(message)

        self._submit(fn, done, failed)
