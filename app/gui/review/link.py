"""The review workflow in the main window: labels found beside the open folder, review marks
(review.json in the label folder), the keys that move through a folder, and the threshold panel
(threshold_link.py).

What the window shows is one choice, Review > Show Labels from Folder: on, an image's saved
labels (those the last Label Folder run wrote, else the label maps found beside the folder:
what the dataset holds and the editor edits) where it has them; off, the model's prediction
(which the confidence threshold acts on). The status bar says which is on screen; the
inspector needs the model's own run, so while it is open the prediction is shown, and said so.

Keys: A / Ctrl+Return accept and go to the next unreviewed image; N marks "needs work"
(and stays, to fix it); U / Shift+U go to the next / previous unreviewed image.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel

from app.gui.batch.options import default_output_dir
from app.gui.docks import ItemStatus
from app.viewing.cache import CachedView
from app.gui.review.label_source import PairedLabels, describe_shown
from app.gui.review.threshold_link import ThresholdLink
from app.gui.worker_types import ModelInfo
from app.labels.confidence import mean_confidences
from app.labels.pairing import LabelPairing, label_stems, pair_folder
from app.labels.review import ReviewState, ReviewStore

from app.paths import SAMPLES_DIR

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

ACCEPT_KEYS = ("A", "Ctrl+Return")
NEEDS_WORK_KEY = "N"
NEXT_UNREVIEWED_KEY, PREVIOUS_UNREVIEWED_KEY = "U", "Shift+U"


class ReviewLink(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.viewer, self.folder = window, window.viewer, window.folder
        self.labels = PairedLabels(self._warn)
        self.store: ReviewStore | None = None
        self.image_dir: Path | None = None
        self._store_error_shown = False
        self._earlier_source = self.viewer.saved_results  # the batch run's finished images
        self.viewer.saved_results = self.saved_result
        self.threshold = ThresholdLink(window)
        self.threshold_dock = self.threshold.dock
        self._build_actions()
        self.viewer.show_saved = self.show_labels.isChecked()
        self.shown_label = QLabel()  # which labels are on screen: saved, or the model's prediction
        self.shown_label.setObjectName("labelsShown")
        window.statusBar().addPermanentWidget(self.shown_label)
        self.viewer.resultShown.connect(self._on_result_shown)
        self.folder.folderSet.connect(self._on_folder_set)
        self.viewer.modelChanged.connect(self._on_model_changed)
        if getattr(window, "batch", None) is not None:  # Label Folder writes new NAME.json records
            window.batch.runFinished.connect(self._on_batch_finished)

    # --- menus and keys ------------------------------------------------------------------
    def _action(self, text: str, slot, keys: tuple[str, ...] = (), tip: str = "") -> QAction:  # noqa: ANN001
        return self.window.actions_.make_action(text, slot, list(keys), tip=tip or text.replace("&", ""))

    def _build_actions(self) -> None:
        actions = self.window.actions_
        self.open_labels = self._action("Open &Labels...", self.open_labels_dialog,
                                        tip="Show the label maps of a folder for the open images")
        actions.add_to_menu("file", self.open_labels, before="file:recent")
        self.accept = self._action("&Accept and Next", self.accept_and_next, ACCEPT_KEYS,
                                   "Mark the image accepted and go to the next unreviewed one (A)")
        self.needs_work = self._action("Mark &Needs Work", self.mark_needs_work, (NEEDS_WORK_KEY,),
                                       "Mark the image as needing work (N)")
        self.unreviewed = self._action("Mark &Unreviewed", self.mark_unreviewed)
        self.next_unreviewed = self._action("Ne&xt Unreviewed", lambda: self.go_to_unreviewed(1),
                                            (NEXT_UNREVIEWED_KEY,))
        self.previous_unreviewed = self._action("Pre&vious Unreviewed", lambda: self.go_to_unreviewed(-1),
                                                (PREVIOUS_UNREVIEWED_KEY,))
        self.sort_action = self._action("Sort by &Lowest Confidence", self.folder.sort_by_confidence,
                                        tip="Review the worst predictions first (mean confidence from NAME.json)")
        self.sort_action.setCheckable(True)
        self.folder.sort.currentIndexChanged.connect(lambda i: self.sort_action.setChecked(i == 1))
        self.show_labels = self._action(
            "Show Labels from &Folder", self.set_show_labels,
            tip="On: the saved labels (found beside the folder or written by Label Folder), which the editor "
                "edits. Off: the model's prediction, which the confidence threshold acts on")
        self.show_labels.setCheckable(True)
        self.show_labels.setChecked(True)
        menu = self.menu = actions.add_menu("review", "&Review", before="help")
        menu.addActions([self.accept, self.needs_work, self.unreviewed])
        menu.addSeparator()
        menu.addActions([self.next_unreviewed, self.previous_unreviewed, self.sort_action])
        menu.addSeparator()
        menu.addActions([self.show_labels, self.open_labels, self.threshold_dock.toggleViewAction()])
        actions.docks_menu.addAction(self.threshold_dock.toggleViewAction())

    # --- labels beside the folder --------------------------------------------------------------
    def saved_result(self, path: Path) -> CachedView | None:
        """The viewer's results that need no model: the batch run's, then labels found on disk.
        Asked only while they are wanted (ViewerState.wants_saved: Show Labels from Folder on)."""
        earlier = self._earlier_source(path) if self._earlier_source is not None else None
        return earlier if earlier is not None else self.labels.result(path)

    def has_saved_labels(self, path: Path) -> bool:
        """Whether ``path`` has saved labels to show (without reading them)."""
        batch = getattr(self.window, "batch", None)
        if batch is not None and batch.output_stem(path) is not None:
            return True
        return self.labels.pairing is not None and self.labels.pairing.label_for(path) is not None

    @Slot(object)
    def _on_result_shown(self, item: CachedView) -> None:
        text, why = self.describe_shown(item)
        self.shown_label.setText(text)
        self.shown_label.setToolTip(why)

    def describe_shown(self, item: CachedView) -> tuple[str, str]:
        """The status bar's word on which labels are on screen, and why."""
        path = self.viewer.shown_path
        return describe_shown(item, path is not None and self.has_saved_labels(path), self.show_labels.isChecked())

    def open_labels_dialog(self) -> None:
        if self.image_dir is None:
            self._warn("Open the folder of images first (File > Open Folder), then its labels.")
            return
        start = str(self.labels.pairing.label_dir if self.labels.pairing else self.image_dir.parent)
        folder = QFileDialog.getExistingDirectory(self.window, "Open Labels", start)
        if folder:
            self.open_labels_folder(Path(folder))

    def open_labels_folder(self, label_dir: Path) -> LabelPairing | None:
        """Show ``label_dir``'s label maps for the open folder's images."""
        if self.image_dir is None:
            self._warn("Open the folder of images first (File > Open Folder), then its labels.")
            return None
        pairing = pair_folder(self.image_dir, self.folder.paths(), Path(label_dir).resolve())
        self._use_pairing(pairing)
        return pairing

    def set_show_labels(self, on: bool) -> None:
        """Saved labels (on) or the model's prediction (off) for every image, batch-written ones
        too. Unsaved edits are asked about first (Save / Discard / Cancel); Cancel keeps the
        edits and the choice as it was."""
        if not self.viewer.may_leave():
            self.show_labels.setChecked(not on)
            return
        self.labels.enabled = self.viewer.show_saved = bool(on)
        if on:  # read again: a run or an edit may have rewritten them; predictions stay cached
            self.viewer.state.forget_saved()
        if self.labels.pairing is not None:
            for image in self.labels.pairing.files:
                if not on and self.folder.status(image) == ItemStatus.LABELS:
                    self.folder.set_status(image, ItemStatus.PENDING)
            self._paint_label_statuses()
        self.viewer.rerun()

    def _run_model_instead(self) -> None:
        self.show_labels.setChecked(False)
        self.set_show_labels(False)

    def label_stem(self, path: Path) -> Path | None:
        """Where the label files of ``path`` live, without suffix (``labels/photo``): the found
        label map, else the default output folder (for the editor's saving)."""
        found = self.labels.pairing.label_for(path) if self.labels.pairing else None
        if found is not None:
            return found.with_suffix("")
        if self.store is None:
            return None
        same_folder = [p for p in self.folder.paths() if p.parent == Path(path).parent] or [Path(path)]
        return self.store.folder / label_stems(same_folder, self.image_dir).get(Path(path), [Path(Path(path).stem)])[0]

    @Slot(object, list)
    def _on_folder_set(self, folder: Path | None, paths: list[Path]) -> None:
        self.image_dir = image_dir = Path(folder) if folder is not None else None
        # The shipped samples' labels/ is the ground truth of the model's demo (and of the
        # tests): the window shows the model on them; File > Open Labels still shows them.
        automatic = image_dir is not None and not image_dir.resolve().is_relative_to(SAMPLES_DIR.resolve())
        self._use_pairing(pair_folder(image_dir, paths) if image_dir is not None and automatic else None)

    def _use_pairing(self, pairing: LabelPairing | None) -> None:
        self.labels.set_pairing(pairing)
        if pairing is not None:
            self.viewer.state.forget_saved()  # those of another label folder would hide these
            self.window.statusBar().showMessage(f"Showing {pairing.describe()}", 8000)
            if pairing.files and self.labels.enabled and not pairing.problems:
                self.window.messages.show_message(
                    f"Showing the label maps found in {pairing.label_dir} instead of running the model "
                    "(Review > Show Labels from Folder).", "info", "Run the Model Instead", self._run_model_instead)
            self._show_confidences()
            self._paint_label_statuses()
            if self.viewer.current is not None:
                self.viewer.rerun()
        self._open_store(pairing.label_dir if pairing else
                         default_output_dir(self.image_dir) if self.image_dir else None)

    def _show_confidences(self, run_dir: Path | None = None) -> None:
        """The folder list's mean confidences (and its lowest-first order) from the NAME.json
        records: a Label Folder run's in ``run_dir`` first, then those beside the folder."""
        paths, pairing = self.folder.paths(), self.labels.pairing
        found = mean_confidences(paths, pairing.label_dir, pairing.image_dir) if pairing is not None else {}
        if run_dir is not None:
            fresh = mean_confidences(paths, run_dir, self.image_dir)
            found = {p: fresh.get(p) if fresh.get(p) is not None else found.get(p) for p in paths}
        self.folder.set_confidences(found)

    @Slot(object)
    def _on_batch_finished(self, report: Any) -> None:
        if self.image_dir is not None:
            self._show_confidences(Path(report.out_dir))

    def _paint_label_statuses(self) -> None:
        pairing = self.labels.pairing
        if pairing is None or not self.labels.enabled:
            return
        for image, label in pairing.files.items():
            if self.folder.status(image) in (ItemStatus.PENDING, None):
                self.folder.set_status(image, ItemStatus.LABELS, f"labels: {label}")

    # --- review marks ----------------------------------------------------------------------------
    def _open_store(self, folder: Path | None) -> None:
        self.store = ReviewStore(folder) if folder is not None else None
        self._store_error_shown = False
        self._report_store_error()
        paths = self.folder.paths()
        if self.store is not None:
            self.folder.set_reviews({p: self.store.state(self._key(p)) for p in paths})

    def _key(self, path: Path) -> str:
        if self.image_dir is None:
            return Path(path).name
        try:
            return Path(path).resolve().relative_to(self.image_dir.resolve()).as_posix()
        except ValueError:  # outside the folder
            return Path(path).name

    def state(self, path: Path) -> ReviewState:
        return self.store.state(self._key(path)) if self.store is not None else ReviewState.UNREVIEWED

    def set_state(self, path: Path | None, state: ReviewState) -> bool:
        if path is None or self.store is None:
            self._warn("Open a folder of images to review it.")
            return False
        try:
            self.store.set_state(self._key(path), state)
        except OSError as exc:
            self._warn(f"Could not save the review mark in {self.store.path}: {exc}. It is kept until the "
                       "folder is closed and written with the next mark.")
        self._report_store_error()
        self.folder.set_reviews({path: state})
        return True

    def accept_and_next(self) -> None:
        path = self.viewer.current
        if not self.viewer.may_leave():  # unsaved edits: Save / Discard first, Cancel marks nothing
            return
        if self.set_state(path, ReviewState.ACCEPTED) and path is not None:  # set_state refuses no path
            self._go_to(self.folder.next_with_review(path, ReviewState.UNREVIEWED, 1), f"Accepted {path.name}.")

    def mark_needs_work(self) -> None:
        current = self.viewer.current
        if self.set_state(current, ReviewState.NEEDS_WORK) and current is not None:  # set_state refuses no path
            self.window.statusBar().showMessage(f"{current.name}: needs work", 4000)

    def mark_unreviewed(self) -> None:
        self.set_state(self.viewer.current, ReviewState.UNREVIEWED)

    def go_to_unreviewed(self, step: int) -> None:
        self._go_to(self.folder.next_with_review(self.viewer.current, ReviewState.UNREVIEWED, step), "")

    def _go_to(self, target: Path | None, done: str) -> None:
        left = self.folder.review_counts()[ReviewState.UNREVIEWED]
        if target is None or target == self.viewer.current and self.folder.review(target) != ReviewState.UNREVIEWED:
            self.window.statusBar().showMessage(f"{done} Every image of the folder is reviewed.".strip(), 8000)
            return
        if target != self.viewer.current:
            self.viewer.show(target)
        self.window.statusBar().showMessage(f"{done} {left} unreviewed left.".strip(), 4000)

    def _report_store_error(self) -> None:
        if self.store is not None and self.store.error and not self._store_error_shown:
            self._store_error_shown = True
            self._warn(self.store.error)

    # --- model ---------------------------------------------------------------------------------
    @Slot(object)
    def _on_model_changed(self, info: ModelInfo) -> None:
        self.labels.set_model_classes(info.meta.classes)
        self.threshold.set_classes(tuple(info.meta.classes.names))
        self._paint_label_statuses()  # the viewer has just reset the statuses

    def _warn(self, text: str) -> None:
        self.window.messages.show_message(text, "warning")

