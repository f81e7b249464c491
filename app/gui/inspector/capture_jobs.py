"""The inspector's model jobs: what runs in the worker's thread for one capture.

Each builder returns ``fn(context)`` for the dock's ``submit`` hook (``app.gui.jobs``).
The job takes the network from its context (the worker's Segmenter), in the thread that
owns it, and only while it is still the model that made the capture (``meta``): the
user may have loaded another one since. No Qt here; the engine's modules are imported
when a job is built, so torch loads after start-up.

The jobs that run the network take a ``cancel`` event (the dock's, one per request): set
(the user asked for another of the same kind, or left the image), the running pass stops
with ``Cancelled`` (the receptive fields and the stage Grad-CAM within one backbone block,
the head-only jobs before their next head pass), which the submitter hands on as the
job's value (app.gui.jobs.run_job), a result the dock drops (a superseded request is no
failure to report). The head's conv responses that the splits, class maps and
contribution maps share stop with the capture's own event (``LazyHeadResponses``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from app.gui.jobs import Job

if TYPE_CHECKING:  # the window must appear before torch has loaded
    import numpy as np

    from app.checkpoints.meta import ModelMeta
    from app.engine.ppm_analysis import PPMActivations
    from app.engine.ppm_contrib import LazyHeadResponses
    from app.model import PSPNet

MODEL_CHANGED = "the model changed since this image was segmented; segment it again"


def network_of(context: Any, meta: ModelMeta | None) -> PSPNet:
    """The network of the job's context when it is still the model that made the capture
    (``meta``); otherwise a clear failure."""
    loaded = getattr(context, "loaded", None)
    if loaded is None or meta is None or loaded.meta is not meta:
        raise ValueError(MODEL_CHANGED)
    return loaded.model


def pixel_split_job(meta: ModelMeta | None, acts: PPMActivations, x: int, y: int,
                    cancel: threading.Event | None = None) -> Job:
    """The logits at photo pixel (x, y) split by part (only the few cells it mixes: milliseconds,
    so ``cancel`` is looked at once, before)."""
    from app.engine.cancel import check_cancel
    from app.engine.ppm_contrib import attribute_pixel

    def job(ctx: Any) -> Any:
        check_cancel(cancel)
        return attribute_pixel(network_of(ctx, meta), acts.capture, acts.geometry, x, y)
    return job


def region_split_job(meta: ModelMeta | None, acts: PPMActivations, responses: LazyHeadResponses,
                     region: Any, kind: str, cancel: threading.Event | None = None) -> Job:
    """The logits summed over ``region`` (a box, a connected region, a class) split by part.

    ``cancel`` (a newer split's) is looked at before and after the head's responses, never
    while they are computed: the newer split needs them too (they stop with the capture)."""
    from app.engine.cancel import check_cancel
    from app.engine.ppm_region import split_region

    def job(ctx: Any) -> Any:
        check_cancel(cancel)
        head = responses.get(network_of(ctx, meta))
        check_cancel(cancel)
        return split_region(head, acts.geometry, region, kind)
    return job


def class_maps_job(meta: ModelMeta | None, responses: LazyHeadResponses, classes: tuple) -> Job:
    """Each part's share of each class in ``classes``, keyed by class index."""
    def job(ctx: Any) -> dict:
        head = responses.get(network_of(ctx, meta))
        return {int(c): head.class_shares(int(c)) for c in classes}
    return job


def receptive_field_job(meta: ModelMeta, acts: PPMActivations, image: np.ndarray, x: int, y: int,
                        class_index: int | None, cancel: threading.Event | None = None) -> Job:
    """The full network's receptive field of photo pixel (x, y), for ``class_index`` or the winner
    (or the ``Cancelled`` that stopped it)."""
    from app.engine.ppm_erf import capture_input, receptive_field

    def job(ctx: Any) -> Any:
        network = network_of(ctx, meta)
        network_input = capture_input(image, acts.geometry, meta.normalization)  # moved to the model's device
        return receptive_field(network, network_input, acts.geometry, x, y, class_index, cancel)
    return job


def region_field_job(meta: ModelMeta, acts: PPMActivations, image: np.ndarray, region: Any, kind: str,
                     class_index: int | None, cancel: threading.Event | None = None) -> Job:
    """The receptive field of ``class_index``'s logit summed over ``region`` (or of its top class),
    or the ``Cancelled`` that stopped it."""
    from app.engine.ppm_erf import capture_input
    from app.engine.ppm_region_erf import region_receptive_field

    def job(ctx: Any) -> Any:
        network = network_of(ctx, meta)
        network_input = capture_input(image, acts.geometry, meta.normalization)
        return region_receptive_field(network, network_input, acts.geometry, region, class_index, kind, cancel)
    return job


def stage_gradcam_job(meta: ModelMeta, acts: PPMActivations, image: np.ndarray, region: Any, class_index: int,
                      class_name: str, cancel: threading.Event | None = None) -> Job:
    """Grad-CAM of ``class_index`` summed over ``region`` at the backbone's stages (a backbone pass),
    or the ``Cancelled`` that stopped it."""
    from app.engine.ppm_erf import capture_input
    from app.engine.ppm_stage_gradcam import stage_gradcam

    def job(ctx: Any) -> Any:
        network = network_of(ctx, meta)
        network_input = capture_input(image, acts.geometry, meta.normalization)
        return stage_gradcam(network, network_input, acts.geometry, region, class_index, class_name=class_name,
                             cancel=cancel)
    return job


def gradcam_job(meta: ModelMeta | None, acts: PPMActivations, region: Any, class_index: int,
                cancel: threading.Event | None = None) -> Job:
    """Grad-CAM of ``class_index`` summed over ``region`` at the PPM (the head only), or its ``Cancelled``."""
    from app.engine.ppm_gradcam import region_gradcam

    return lambda ctx: region_gradcam(network_of(ctx, meta), acts.capture, acts.geometry, region, class_index,
                                      cancel)


def ablation_job(meta: ModelMeta | None, acts: PPMActivations, parts_off: tuple, mode: str,
                 baseline: Any, cancel: threading.Event | None = None) -> Job:
    """The head re-run with ``parts_off`` switched off (``mode``), compared with ``baseline``
    (or the ``Cancelled`` that stopped it)."""
    from app.engine.ppm_ablation import run_ablation

    return lambda ctx: run_ablation(network_of(ctx, meta), acts.capture, acts.geometry, parts_off, mode, baseline,
                                    cancel)


def contribution_maps_job(meta: ModelMeta | None, responses: LazyHeadResponses) -> Job:
    """Every part's contribution maps over the whole image (the head's conv run once; it stops
    with the capture's cancel, ``responses.cancel``: one such job per image)."""
    from app.engine.ppm_contrib import maps_from_responses

    return lambda ctx: maps_from_responses(responses.get(network_of(ctx, meta)))
