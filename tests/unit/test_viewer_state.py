"""The viewer's rules without widgets (app.viewing): each rule of issue 18's "state that
never lies", checked on the Qt-free models the window observes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from app.checkpoints.meta import ProtocolSettings
from app.classes import ClassInfo, generic_classes
from app.engine.result import SegmentationResult
from app.labels.threshold import ConfidenceThreshold
from app.viewing.cache import CachedView
from app.viewing.class_display import NO_CLASS, ClassDisplay
from app.viewing.layers import prepare_layers
from app.viewing.rendering import HIGHLIGHT_DIM_ALPHA, contour_labels, contour_thickness
from app.viewing.state import PREDICTION, SAVED, ViewerState

CLASSES = 5


@dataclass
class Meta:
    classes: ClassInfo
    display_name: str = "test model"


@dataclass
class Model:
    token: int
    meta: Meta


def model(token: int = 1) -> Model:
    return Model(token, Meta(generic_classes(CLASSES)))


def result_of(labels: np.ndarray, confidence: float = 0.9, protocol: str = "fast") -> SegmentationResult:
    return SegmentationResult(labels.astype(np.uint8), np.full(labels.shape, confidence, np.float32),
                              np.bincount(labels.ravel(), minlength=CLASSES).astype(np.int64),
                              ProtocolSettings(name=protocol), "cpu", 0.1)


def item(*present: int, size: tuple[int, int] = (4, 6)) -> CachedView:
    """A result whose labels hold ``present`` classes in vertical bands."""
    labels = np.zeros(size, np.uint8)
    for i, cls in enumerate(present):
        labels[:, i * size[1] // len(present):] = cls
    return CachedView(np.zeros((*size, 3), np.uint8), result_of(labels))


class Recorder:
    def __init__(self, display: ClassDisplay) -> None:
        self.events: list[tuple[str, object]] = []
        display.visibility.connect(lambda v: self.events.append(("visibility", v.tolist())))
        display.highlight_changed.connect(lambda i: self.events.append(("highlight", i)))
        display.counts_changed.connect(lambda: self.events.append(("counts", None)))
        display.reset.connect(lambda: self.events.append(("reset", None)))


@pytest.fixture
def display() -> ClassDisplay:
    d = ClassDisplay()
    d.set_classes(generic_classes(CLASSES).names)
    d.show_counts(np.array([10, 0, 5, 3, 0]), generic_classes(CLASSES).palette)
    return d


# --- hidden classes and the highlight -------------------------------------------------------
def test_hiding_never_highlights_and_the_summary_says_so(display):
    seen = Recorder(display)
    display.set_visible(2, False)
    assert display.highlight == NO_CLASS and not display.is_visible(2)
    assert seen.events == [("visibility", [True, True, False, True, True])]
    assert display.summary() == "1 class hidden (class 2)"
    display.set_visible(3, False)
    assert display.summary() == "2 classes hidden (class 2, class 3)"


def test_highlighting_a_hidden_class_shows_it(display):
    display.set_visible(2, False)
    seen = Recorder(display)
    display.set_highlight(2)
    assert display.highlight == 2 and display.is_visible(2)
    assert seen.events == [("visibility", [True] * 5), ("highlight", 2)]
    assert display.summary() == "Highlighted: class 2 (others dimmed)"


def test_hiding_the_highlighted_class_clears_the_highlight(display):
    display.set_highlight(0)
    display.set_visible(0, False)
    assert display.highlight == NO_CLASS
    assert display.lut()[:CLASSES, 3].tolist() == [0, 255, 255, 255, 255], "nothing is left dimmed"


def test_a_second_click_clears_and_unknown_classes_are_no_highlight(display):
    display.toggle_highlight(3)
    assert display.highlight == 3
    display.toggle_highlight(3)
    assert display.highlight == NO_CLASS
    display.set_highlight(255)  # an ignore pixel clicked
    assert display.highlight == NO_CLASS


def test_all_and_none_clear_the_highlight(display):
    display.set_visible(3, False)
    display.set_highlight(2)
    display.set_all(True)
    assert display.highlight == NO_CLASS and display.visible().all()
    assert display.summary().startswith("All shown")
    display.set_highlight(2)
    display.set_all(False)
    assert display.highlight == NO_CLASS and not display.visible().any()
    assert display.summary() == "5 classes hidden", "too many to name"


def test_highlight_carries_over_only_to_an_image_that_has_the_class(display):
    display.set_highlight(2)
    display.set_visible(3, False)
    display.show_counts(np.array([1, 1, 4, 0, 0]))  # the next image has class 2
    assert display.highlight == 2
    display.show_counts(None)  # a photo whose result is pending: nothing is dropped yet
    assert display.highlight == 2
    display.show_counts(np.array([1, 1, 0, 0, 9]))  # and the one after has none of it
    assert display.highlight == NO_CLASS
    assert not display.is_visible(3), "hidden classes carry over, and the summary says so"
    assert display.summary() == "1 class hidden (class 3)"
    assert display.lut()[:CLASSES, 3].tolist() == [255, 255, 255, 0, 255], "the overlay is back at full strength"


def test_a_new_class_list_starts_afresh(display):
    display.set_visible(1, False)
    display.set_highlight(2)
    seen = Recorder(display)
    display.set_classes(("sky", "sea"))
    assert display.names == ("sky", "sea") and display.visible().tolist() == [True, True]
    assert display.highlight == NO_CLASS and display.counts is None and display.present() == []
    assert seen.events == [("reset", None)]


def test_lookup_table_follows_hidden_and_highlighted(display):
    display.set_visible(0, False)
    display.set_highlight(2)
    alpha = display.lut()[:, 3].tolist()
    assert alpha == [0, HIGHLIGHT_DIM_ALPHA, 255, HIGHLIGHT_DIM_ALPHA, HIGHLIGHT_DIM_ALPHA, 0]
    assert display.lut(hatched=True).shape == (CLASSES + 2, 4)


def test_present_classes_largest_first(display):
    assert display.present() == [0, 2, 3]


# --- the image asked for, the one on screen, and the cache ------------------------------------
def test_only_the_request_waited_for_reaches_the_screen_and_late_ones_are_cached():
    state = ViewerState()
    state.model_ready(model())
    a, b = Path("/photos/a.png"), Path("/photos/b.png")
    assert state.ask_for(a) is None
    state.sent(1, a)
    assert state.ask_for(b) is None
    state.sent(2, b)
    late = item(0, 1)
    assert state.photo_arrived(1, a, late.image) is None, "a's photo is not shown: b is asked for"
    assert state.result_arrived(1, late, 1, a) == (a, False)
    assert state.stale_results == 1 and state.ask_for(a) is late, "kept for going back"
    assert state.current == a and state.current_id == 0


def test_results_of_another_model_are_not_cached_and_a_new_model_empties_the_cache():
    state = ViewerState()
    state.model_ready(model(token=1))
    path = Path("/photos/a.png")
    state.ask_for(path)
    state.sent(5, path)
    assert state.result_arrived(5, item(0), 99, path) == (path, True)
    assert state.ask_for(path) is None, "made by a model that is gone"
    state.sent(6, path)
    state.result_arrived(6, item(0), 1, path)
    assert state.ask_for(path) is not None
    state.model_ready(model(token=2))
    assert len(state.cache) == 0 and state.ask_for(path) is None


def test_protocol_and_capture_are_part_of_the_key():
    state = ViewerState()
    state.model_ready(model())
    keys = {state.key(Path("a.png"), PREDICTION)}
    state.protocol = "official"
    keys.add(state.key(Path("a.png"), PREDICTION))
    state.capture = True
    keys.add(state.key(Path("a.png"), PREDICTION))
    assert len(keys) == 3
    assert state.key(Path("a.png"), SAVED) not in keys, "saved labels have a key of their own"
    assert state.key(Path("a.png")) == state.key(Path("a.png"), PREDICTION), "capturing: the model runs"
    state.capture = False
    assert state.key(Path("a.png")) == state.key(Path("a.png"), SAVED), "looked for first"


def switchable(saved: CachedView) -> tuple[ViewerState, Path, list[Path]]:
    """A state whose saved labels follow ``show_saved`` as the review link's do (None while off)."""
    state = ViewerState()
    state.model_ready(model())
    state.show_saved = True
    asked: list[Path] = []
    state.saved_results = lambda p: (asked.append(p) or saved) if state.show_saved else None
    return state, Path("/photos/a.png"), asked


def predict(state: ViewerState, path: Path, rid: int) -> CachedView:
    """The worker's answer for ``path``, which nothing cached could give."""
    assert state.ask_for(path) is None
    state.sent(rid, path)
    prediction = item(1)
    assert state.result_arrived(rid, prediction, 1, path) == (path, True)
    return prediction


def test_saved_labels_turned_off_show_the_prediction_not_the_saved_map():
    saved = item(3)
    state, path, asked = switchable(saved)
    assert state.ask_for(path) is saved and asked == [path]
    state.show_saved = False  # Show Labels from Folder off: the model runs, nothing is cleared
    prediction = predict(state, path, 1)
    assert state.ask_for(path) is prediction, "the prediction, kept for going back"
    state.show_saved = True
    assert state.ask_for(path) is saved and asked == [path], "the saved map, cached: not read again"
    state.show_saved = False
    assert state.ask_for(path) is prediction, "the model does not run again"


def test_saved_labels_turned_on_show_the_saved_map_not_a_prediction_made_before():
    saved = item(3)
    state, path, asked = switchable(saved)
    state.show_saved = False
    prediction = predict(state, path, 1)
    state.show_saved = True
    assert state.ask_for(path) is saved and asked == [path], "not the prediction cached while off"
    state.show_saved = False
    assert state.ask_for(path) is prediction


def test_forgetting_saved_labels_reads_them_again_and_keeps_the_predictions():
    saved = item(3)
    state, path, asked = switchable(saved)
    state.show_saved = False
    prediction = predict(state, path, 1)
    state.show_saved = True
    state.ask_for(path)
    state.forget_saved()
    assert len(state.cache) == 1
    assert state.ask_for(path) is saved and asked == [path, path]
    state.show_saved = False
    assert state.ask_for(path) is prediction


def test_saved_labels_are_used_only_when_no_capture_is_asked_for():
    state = ViewerState()
    state.model_ready(model())
    saved = item(3)
    asked: list[Path] = []
    state.saved_results = lambda p: asked.append(p) or saved
    state.capture = True
    assert state.ask_for(Path("a.png")) is None and asked == []
    state.capture = False
    assert state.ask_for(Path("a.png")) is saved and state.current_id == 0
    state.saved_results = None
    assert state.ask_for(Path("a.png")) is saved, "cached after the first look"


def test_unsaved_edits_keep_the_image(tmp_path):
    state = ViewerState()
    answers = [False, True]
    state.leave_guard = lambda: answers.pop(0)
    assert not state.may_leave()
    assert state.may_leave()
    state.leave_guard = None
    assert state.may_leave()


# --- what a new image clears, and the title ---------------------------------------------------
def test_a_new_photo_clears_the_old_result_its_areas_and_the_readout():
    state = ViewerState()
    state.model_ready(model())
    first, second = Path("a.png"), Path("b.png")
    old = item(0, 2)
    state.show_item(old, first)
    assert state.readout_at(5, 1) == ("class 2", pytest.approx(0.9))
    state.ask_for(second)
    state.sent(3, second)
    assert state.photo_arrived(3, second, np.zeros((4, 6, 3), np.uint8)) is False, "another file: fitted anew"
    assert state.shown is None and state.display.counts is None
    assert state.readout_at(5, 1) == (None, None), "nothing of the old image is read out over the new one"
    assert state.title() == "b.png - PSPNet Studio (test model)"


def test_the_same_file_again_keeps_the_zoom_and_the_photo():
    state = ViewerState()
    state.model_ready(model())
    path = Path("a.png")
    first = item(0)
    assert state.show_item(first, path) == (True, False)
    again = CachedView(first.image, result_of(np.full((4, 6), 1, np.uint8), protocol="official"))
    assert state.show_item(again, path) == (False, True), "same photo array: not set again"
    state.ask_for(path)
    state.sent(4, path)
    assert state.photo_arrived(4, path, first.image) is True


def test_title_names_the_image_on_screen_while_another_loads():
    state = ViewerState()
    assert state.title() == "PSPNet Studio (no model)"
    state.model_ready(model())
    state.show_item(item(0), Path("a.png"))
    state.ask_for(Path("b.png"))
    state.sent(7, Path("b.png"))
    assert state.title().startswith("a.png - "), "b's photo is not there yet"


def test_a_file_that_fails_is_named_and_its_message_replaces_the_view():
    state = ViewerState()
    state.model_ready(model())
    state.show_item(item(0), Path("a.png"))
    bad = Path("broken.jpg")
    state.ask_for(bad)
    state.sent(8, bad)
    assert state.request_ended(8) == (bad, True) and state.current_id == 0
    assert state.failure_replaces_view(bad)
    assert state.photo is None and state.shown is None and state.title().startswith("broken.jpg - ")


def test_a_model_failure_on_a_shown_photo_keeps_the_photo():
    state = ViewerState()
    state.model_ready(model())
    path = Path("a.png")
    state.ask_for(path)
    state.sent(9, path)
    state.photo_arrived(9, path, np.zeros((4, 6, 3), np.uint8))
    assert state.request_ended(9) == (path, True)
    assert not state.failure_replaces_view(path) and state.photo is not None


def test_labels_with_their_own_classes_replace_the_legend_list():
    state = ViewerState()
    state.model_ready(model())
    own = ClassInfo.from_lists(["road", "car"], None)
    saved = item(0, 1)
    saved.classes = own
    state.show_item(saved, Path("a.png"))
    assert state.display.names == ("road", "car") and state.classes() is own
    assert state.readout_at(5, 0) == ("car", pytest.approx(0.9))


# --- the read-out and what is drawn ----------------------------------------------------------
def test_readout_of_ignore_edited_and_unknown_pixels():
    state = ViewerState()
    state.model_ready(model())
    shown = item(0, 1)
    shown.result.labels[0, 0] = 255
    shown.result.confidence[1, 1] = np.nan  # labels read from disk: no confidence
    state.show_item(shown, Path("a.png"))
    assert state.readout_at(0, 0) == ("ignore", pytest.approx(0.9))
    assert state.readout_at(1, 1) == ("class 0", None)
    assert state.readout_at(-1, 0) == (None, None) and state.readout_at(6, 0) == (None, None)
    shown.original_labels = shown.result.labels.copy()  # type: ignore[attr-defined]
    shown.result.labels[2, 2] = 4  # a person painted this pixel
    assert state.readout_at(2, 2) == ("class 4", None)


def test_threshold_hatches_uncertain_pixels_only_while_active():
    state = ViewerState()
    state.model_ready(model())
    shown = item(0, 1)
    shown.result.confidence[:, :3] = 0.2
    state.show_item(shown, Path("a.png"))
    drawn = state.drawn()
    assert drawn is not None and drawn.labels is shown.result.labels and not drawn.hatched
    state.threshold = ConfidenceThreshold(enabled=True, global_t=0.5)
    drawn = state.drawn()
    assert drawn is not None and drawn.hatched and drawn.uncertain_pixels == 12
    assert set(np.unique(drawn.labels[:, :3])) <= {CLASSES, CLASSES + 1}, "hatch and transparent"
    np.testing.assert_array_equal(drawn.labels[:, 3:], shown.result.labels[:, 3:])


def test_prepared_layers_equal_what_the_view_would_draw_and_know_what_they_fit():
    labels = np.random.default_rng(0).integers(0, CLASSES, (90, 2000)).astype(np.uint8)
    layers = prepare_layers(labels, CLASSES)
    np.testing.assert_array_equal(layers.contours, contour_labels(labels, CLASSES, contour_thickness(90, 2000)))
    assert contour_thickness(90, 2000) == 2
    assert layers.fits(labels, CLASSES) and not layers.fits(labels, CLASSES + 1)
    assert not layers.fits(labels[:, :10], CLASSES)
    assert CachedView(np.zeros((90, 2000, 3), np.uint8), result_of(labels), layers=layers).nbytes == (
        90 * 2000 * (3 + 1 + 4 + 1))
