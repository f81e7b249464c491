"""The batch run in the main window: menu entry, folder-dock button, dialog, live statuses,
saved labels for finished images, the summary, and closing mid-run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QPushButton

from app.engine.batch import FileRecord, Job
from app.engine.writers import output_paths
from app.engine.batch import BatchReport
from app.gui.batch.controller import BatchRun
from app.gui.batch.dialog import PROTOCOLS, BatchDialog, plan
from app.gui.batch.options import BatchOptions, default_output_dir
from app.gui.batch.progress_dock import BatchDock
from app.gui.batch.saved_labels import saved_view
from app.gui.docks import ItemStatus
from app.viewing.cache import CachedView
from app.viewing.state import SAVED
from app.gui.worker_types import ModelInfo

if TYPE_CHECKING:
    from app.checkpoints.meta import ModelMeta
    from app.gui.main_window import MainWindow

STATUS_OF_RECORD = {"ok": ItemStatus.DONE, "skipped": ItemStatus.SKIPPED, "failed": ItemStatus.FAILED,
                    "cancelled": ItemStatus.PENDING}
SHORTCUT = "Ctrl+Shift+L"


class BatchLink(QObject):
    runFinished = Signal(object)  # the BatchReport, after the window has taken in the run's results

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window, self.viewer, self.folder = window, window.viewer, window.folder
        self.action = QAction("&Label Folder\u2026", window)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setToolTip(f"Label every image of a folder and save the label files ({SHORTCUT})")
        self.action.triggered.connect(self.open_dialog)
        window.addAction(self.action)
        window.actions_.add_to_menu("file", self.action, before="file:quit", name="file:label folder",
                                    separator=True)  # (WindowMenus)
        self.button = QPushButton("Label Folder\u2026")
        self.button.setToolTip(self.action.toolTip())
        self.button.clicked.connect(self.open_dialog)
        self.folder.actions_row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        self.dock = BatchDock(window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.cancelRequested.connect(self.cancel)
        self.run: BatchRun | None = None
        self.last_options: BatchOptions | None = None
        self._finished_jobs: dict[str, Job] = {}  # images with saved labels of the last run
        self._run_meta: ModelMeta | None = None   # the model those labels belong to
        self._statuses: dict[str, ItemStatus] = {}
        self.viewer.saved_results = self.saved_result
        self.viewer.modelChanged.connect(self._on_model_changed)

    def is_running(self) -> bool:
        return self._active() is not None

    def _active(self) -> BatchRun | None:
        """The run in progress, if any (``self.run`` stays the last one once it has finished)."""
        return self.run if self.run is not None and self.run.is_running() else None

    # --- starting ---------------------------------------------------------------------------
    def default_options(self) -> BatchOptions:
        if self.last_options is not None:
            return self.last_options
        folder = self.viewer.folder_path or Path()
        return BatchOptions(folder, default_output_dir(folder) if self.viewer.folder_path else Path(),
                            protocol=self.viewer.protocol, device=self.window.device)

    def offered_protocols(self) -> list[str] | None:
        """The protocols of Model > Protocol that the window's model runs (None: no model yet):
        ``ModelMeta.offered_protocols``, as Model > Protocol enables them and the run's
        ``protocol()`` accepts them."""
        model = self.viewer.model
        if model is None:
            return None
        offered = model.meta.offered_protocols()
        return [name for name in PROTOCOLS if name in offered]

    def open_dialog(self) -> None:
        if self.is_running():
            self.dock.show()
            self.dock.raise_()
            self.window.statusBar().showMessage("A batch is already running (see the Batch panel).", 5000)
            return
        devices = self.window.actions_.device_names()
        dialog = BatchDialog(self.default_options(), devices, self.window, offered=self.offered_protocols())
        try:
            # a run that does not start (the user said No to overwriting, or it cannot) brings the
            # dialog back with its settings, as the question promises; Cancel there leaves
            while dialog.exec() == BatchDialog.DialogCode.Accepted:
                if self.start(dialog.options()):
                    return
        finally:
            dialog.deleteLater()  # one dialog per opening, not one more child of the window each time

    def start(self, options: BatchOptions) -> bool:
        """Start a run; False (with a message) when it cannot start or the user declines."""
        if self.is_running():
            return False
        model = self.viewer.model
        if model is None:
            self._say("Load a model first (File > Open Weights): the batch uses the window's model.")
            return False
        problems = options.problems()
        jobs: list[Job] = []
        if not problems:
            jobs, problems = plan(options)  # e.g. an output folder holding the input: why nothing would run
        if problems or not jobs:
            self._say(" ".join(problems) or f"{options.input_dir} holds no images to label.")
            return False
        try:
            settings = model.meta.protocol(options.protocol)  # what `segment --protocol NAME` uses
        except ValueError as exc:  # a protocol this model lacks
            self._say(str(exc))
            return False
        if options.overwrite and not self._confirm_overwrite(jobs, options):
            return False
        self.last_options = options
        if options.device != self.window.device:
            self.window.set_device(options.device)  # queued before the run's jobs: they use it
        self._show_folder(options.input_dir, [job.source for job in jobs])
        self._finished_jobs, self._run_meta, self._statuses = {}, model.meta, {}
        for job in jobs:
            self._set_status(job.source, ItemStatus.PENDING, "waiting for the batch")
        if self.run is not None:  # the last run, finished and released: its summary and labels are done with
            self.run.deleteLater()
        run = self.run = BatchRun(self.window.worker, options, jobs, model.meta, settings, self)
        run.fileStarted.connect(self._on_file_started)
        run.fileFinished.connect(self._on_file_finished)
        run.failedToStart.connect(self._say)
        run.finished.connect(self._on_finished)
        self.dock.attach(run)
        if self.dock.isHidden():
            self.dock.show()
            self.window.resizeDocks([self.dock], [220], Qt.Orientation.Vertical)
        self.action.setEnabled(False)
        self.button.setEnabled(False)
        run.start()
        return True

    def _confirm_overwrite(self, jobs: list[Job], options: BatchOptions) -> bool:
        existing = sum(any(p.exists() for p in output_paths(job.stem, options.formats).values()) for job in jobs)
        if not existing:
            return True
        answer = QMessageBox.question(
            self.window, "Overwrite label files?",
            f"{existing} of {len(jobs)} images already have output files in {options.output_dir}.\n\n"
            "Overwrite them? (Choose No to go back; \"Skip\" resumes instead.)"
            + ("" if options.replace_edited else "\n\nMaps edited by hand are kept."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _show_folder(self, folder: Path, sources: list[Path]) -> None:
        """The folder dock lists the run's images (sub-folders included) so their status shows."""
        folder = Path(folder).resolve()
        if self.viewer.folder_path != folder or set(self.viewer.paths) != set(sources):
            self.viewer.folder_path, self.viewer.paths = folder, sources
            self.folder.set_folder(folder, sources)

    # --- during the run ---------------------------------------------------------------------
    @Slot()
    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()

    def _on_file_started(self, path: Path) -> None:
        self._set_status(path, ItemStatus.RUNNING, "batch: segmenting")

    def _on_file_finished(self, index: int, record: FileRecord) -> None:
        job = self.run.jobs[index] if self.run is not None else None
        detail = {"ok": f"labelled in {record.seconds:.2f} s", "skipped": "already labelled (skipped)",
                  "failed": record.error}.get(record.status, record.status)
        self._set_status(Path(record.input), STATUS_OF_RECORD.get(record.status, ItemStatus.PENDING), detail)
        if job is not None and record.status in ("ok", "skipped"):
            self._finished_jobs[str(job.source)] = job
            # the Status column reads "labelled"/"edited" from the map, wherever the run wrote it
            self.folder.set_label_map(job.source, output_paths(job.stem, ["label"])["label"])
            self._forget_saved_labels(job.source)

    def _forget_saved_labels(self, path: Path) -> None:
        """Labels the viewer read for ``path`` before the run are read again when next shown (the
        run has just written them); a cached prediction stays, under its own key."""
        key = self.viewer.state.key(path, SAVED)
        self.viewer.cache.discard_where(lambda cached: cached == key)

    def _set_status(self, path: Path, status: ItemStatus, detail: str) -> None:
        self._statuses[str(path)] = status
        self.folder.set_status(path, status, detail)

    def _on_finished(self, report: BatchReport) -> None:
        for record in report.records:
            if record.status == "cancelled":
                self._set_status(Path(record.input), ItemStatus.PENDING, "not labelled (run cancelled)")
        self.action.setEnabled(True)
        self.button.setEnabled(True)
        # The summary is the Batch dock's (its Details... button opens the dialog): no window
        # pops up after every run.
        self.runFinished.emit(report)

    @Slot(object)
    def _on_model_changed(self, info: ModelInfo) -> None:
        if info.meta is not self._run_meta:
            self._finished_jobs = {}  # saved labels belong to the model that wrote them
            running = self._active()
            if running is not None:
                running.cancel()
                self._say("The model changed, so the batch stopped after the image in progress. "
                          "Run it again to resume with the new model.")
        for path, status in self._statuses.items():  # the viewer has just reset the folder's statuses
            self.folder.set_status(Path(path), status)

    # --- finished images from their saved label files ------------------------------------------
    def output_stem(self, path: Path) -> Path | None:
        """Where the last run wrote ``path``'s files, without suffix (the editor saves there)."""
        job = self._finished_jobs.get(str(path))
        return job.stem if job is not None else None

    def saved_result(self, path: Path) -> CachedView | None:
        """The viewer's source of results that need no model: this run's saved label maps."""
        job = self._finished_jobs.get(str(path))
        model = self.viewer.model
        if job is None or model is None or model.meta is not self._run_meta or self.run is None:
            return None
        label = output_paths(job.stem, ["label"])["label"]
        try:
            return saved_view(job.source, label, len(model.meta.classes), self.run.settings)
        except (OSError, ValueError):
            return None  # e.g. label files not written or removed: the model runs instead

    # --- closing -----------------------------------------------------------------------------
    def confirm_close(self) -> bool:
        """Ask before closing mid-run; on yes the run is cancelled (the window then stops the worker)."""
        running = self._active()
        if running is None:
            return True
        answer = QMessageBox.question(
            self.window, "Stop the batch?",
            "A batch is still labelling images. Stop it and quit?\n\n"
            "Finished images keep their files; running the batch again resumes.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        running.cancel()
        return True

    def finish_for_close(self) -> None:
        """After the worker stopped: record the run's summary files."""
        running = self._active()
        if running is not None:
            running.finish_now()

    def _say(self, text: str) -> None:
        self.window.messages.show_message(text, "warning")
