"""File > Export Dataset...: a run folder as a CVAT, COCO, labelme, YOLO-seg or VOC dataset.

A thin layer over app.interchange.exporter: the dialog picks the folder, the
format and the destination, and the export runs on its own QThread with a
progress bar and Cancel (a threading.Event set straight from the GUI thread, as
a queued signal would never reach a busy thread). Nothing appears at the
destination until the export is complete, so Cancel leaves nothing behind.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from app.interchange.exporter import EXPORT_FORMATS, FORMAT_TITLES, ExportReport, export_run
from app.interchange.run_folder import ExportError
from app.interchange.selection import Selection, choice_texts

if TYPE_CHECKING:
    from app.gui.actions import WindowMenus
    from app.gui.main_window import MainWindow


class ExportThread(QThread):
    """Runs one export; reports each label map, then the report or the reason it could not start."""

    progressed = Signal(int, int, str, str)  # done, total, name, error
    completed = Signal(object)               # ExportReport
    refused = Signal(str)                    # ExportError / OSError message

    def __init__(self, run_dir: Path, fmt: str, dest: Path, overwrite: bool, mapping: Path | None,
                 parent: QObject | None = None, only: Selection = Selection.ALL) -> None:
        super().__init__(parent)
        self.args = (run_dir, fmt, dest, overwrite, mapping)
        self.only = only
        self.cancel_event = threading.Event()

    def run(self) -> None:  # the worker thread
        run_dir, fmt, dest, overwrite, mapping = self.args
        try:
            report = export_run(run_dir, fmt, dest, overwrite, mapping, on_item=self.progressed.emit,
                                cancel=self.cancel_event, overwrite_hint=f"tick '{REPLACE_BOX}'",
                                only=self.only)
        except (ExportError, OSError) as exc:
            self.refused.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not leave the dialog waiting forever
            self.refused.emit(f"the export failed: {type(exc).__name__}: {exc}")
            return
        self.completed.emit(report)


REPLACE_BOX = "Replace the destination if it exists"  # also named where an existing one is refused


def suggested_destination(run_dir: Path, fmt: str) -> Path:
    """``photos_labels`` -> ``photos_labels_coco`` beside it (never inside the run folder)."""
    return run_dir.with_name(f"{run_dir.name}_{fmt.replace('-', '_')}")


def describe(report: ExportReport) -> str:
    if report.cancelled:
        head = "Cancelled: nothing was written."
    elif report.published:
        head = f"Exported {len(report.exported)} label map(s) to {report.dest}."
    else:
        head = "Nothing was written: no label map could be exported."
    lines = [head, *(f"note: {n}" for n in report.notes)]
    if report.failures:
        lines += [f"{len(report.failures)} not exported:", *(f"  {f}" for f in report.failures)]
    return "\n".join(lines)


class ExportDatasetDialog(QDialog):
    def __init__(self, run_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Dataset")
        self.setMinimumWidth(600)
        self.thread_: ExportThread | None = None
        self.run_edit = QLineEdit(str(run_dir) if run_dir else "")
        self.run_edit.setPlaceholderText("a folder written by Label Folder or `segment` (NAME.png + labelmap.txt)")
        self.format_combo = QComboBox()
        for fmt in EXPORT_FORMATS:
            self.format_combo.addItem(FORMAT_TITLES[fmt], fmt)
        self.dest_edit = QLineEdit()
        self.dest_edit.setPlaceholderText("the dataset folder to create (CVAT: may end in .zip)")
        self.mapping_edit = QLineEdit()
        self.mapping_edit.setPlaceholderText("optional: 'FROM TO' lines, e.g. Cityscapes trainId -> id")
        self.overwrite_box = QCheckBox(REPLACE_BOX)
        self.only_combo = QComboBox()
        for selection in Selection:
            self.only_combo.addItem(selection.title, selection)
        form = QFormLayout()
        form.addRow("Run folder:", self._with_browse(self.run_edit, self._browse_run))
        form.addRow("Format:", self.format_combo)
        form.addRow("Export:", self.only_combo)
        form.addRow("Destination:", self._with_browse(self.dest_edit, self._browse_dest))
        form.addRow("Class mapping:", self._with_browse(self.mapping_edit, self._browse_mapping))
        form.addRow("", self.overwrite_box)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(140)
        self.details.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Cancel Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setEnabled(False)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.details)
        layout.addWidget(self.buttons)
        self.format_combo.currentIndexChanged.connect(self._suggest_destination)
        self.run_edit.editingFinished.connect(self._suggest_destination)
        self.run_edit.editingFinished.connect(self.refresh_counts)
        self._suggested = ""
        self._suggest_destination()
        self.refresh_counts()

    def _with_browse(self, edit: QLineEdit, slot) -> QWidget:  # noqa: ANN001
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        button = QPushButton("Browse\u2026")
        button.clicked.connect(slot)
        layout.addWidget(button)
        return row

    @property
    def fmt(self) -> str:
        return str(self.format_combo.currentData())

    @property
    def only(self) -> Selection:
        return Selection(self.only_combo.currentData())

    def refresh_counts(self) -> None:
        """Count the run folder's marks again (the choice itself stays as the user left it)."""
        text = self.run_edit.text().strip()
        texts, tip = choice_texts(Path(text) if text else None)
        for index in range(self.only_combo.count()):
            self.only_combo.setItemText(index, texts[Selection(self.only_combo.itemData(index))])
        self.only_combo.setToolTip(tip)

    def _suggest_destination(self) -> None:
        """Follow the run folder and format until the user types a destination of their own."""
        text = self.run_edit.text().strip()
        if text and self.dest_edit.text() in ("", self._suggested):
            self._suggested = str(suggested_destination(Path(text), self.fmt))
            self.dest_edit.setText(self._suggested)

    def _browse_run(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Run folder", self.run_edit.text())
        if folder:
            self.run_edit.setText(folder)
            self._suggest_destination()
            self.refresh_counts()

    def _browse_dest(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into (a new folder inside)",
                                                  str(Path(self.dest_edit.text() or ".").parent))
        if folder:
            name = Path(self.dest_edit.text()).name or f"dataset_{self.fmt}"
            self.dest_edit.setText(str(Path(folder) / name))

    def _browse_mapping(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Class mapping file", "", "Text files (*.txt);;All files (*)")
        if path:
            self.mapping_edit.setText(path)

    def is_running(self) -> bool:
        return self.thread_ is not None and self.thread_.isRunning()

    @Slot()
    def start(self) -> None:
        if self.is_running():
            return
        run_dir, dest = self.run_edit.text().strip(), self.dest_edit.text().strip()
        if not run_dir or not dest:
            self.status.setText("Choose a run folder and a destination.")
            return
        mapping = Path(self.mapping_edit.text().strip()) if self.mapping_edit.text().strip() else None
        self.thread_ = ExportThread(Path(run_dir), self.fmt, Path(dest), self.overwrite_box.isChecked(),
                                    mapping, self, only=self.only)
        self.thread_.progressed.connect(self._on_progress)
        self.thread_.completed.connect(self._on_completed)
        self.thread_.refused.connect(self._on_refused)
        self.thread_.finished.connect(self._on_thread_finished)
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.details.hide()
        self.progress.setValue(0)
        self.status.setText(f"Exporting as {FORMAT_TITLES[self.fmt]}\u2026")
        self.thread_.start()

    @Slot()
    def cancel(self) -> None:
        if self.thread_ is not None:
            self.thread_.cancel_event.set()  # directly: the thread checks it between label maps
            self.status.setText("Cancelling\u2026")

    @Slot(int, int, str, str)
    def _on_progress(self, done: int, total: int, name: str, error: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        if name:
            self.status.setText(f"{name}: {'not exported: ' + error if error else 'exported'}")

    @Slot(object)
    def _on_completed(self, report: ExportReport) -> None:
        text = describe(report)
        self.status.setText(text.splitlines()[0])
        if len(text.splitlines()) > 1:
            self.details.setPlainText(text)
            self.details.show()

    @Slot(str)
    def _on_refused(self, message: str) -> None:
        self.status.setText(message)

    @Slot()
    def _on_thread_finished(self) -> None:
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel a running export and wait for its thread (closing the dialog or the window)."""
        if self.thread_ is not None:
            self.thread_.cancel_event.set()
            self.thread_.wait(timeout_ms)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override: close, reject, Escape
        self.shutdown()
        super().done(result)


class ExportDatasetLink(QObject):
    """The File menu entry; the run folder offered is the last Label Folder output, if any."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.dialog: ExportDatasetDialog | None = None
        self.action = QAction("Export &Dataset\u2026", window)
        self.action.setToolTip("Export a labelled folder to CVAT, COCO, labelme, YOLO-seg or VOC")
        self.action.triggered.connect(self.open_dialog)
        window.addAction(self.action)
        menus: WindowMenus = window.actions_
        menus.add_to_menu("file", self.action, before="file:quit", after="file:label folder")  # below Label Folder
        # the window is hidden, not deleted, when it closes: stop a running export before Qt exits
        app = QCoreApplication.instance()
        if app is not None:  # always, once a window exists
            app.aboutToQuit.connect(self.shutdown)

    def default_run_dir(self) -> Path | None:
        options = getattr(getattr(self.window, "batch", None), "last_options", None)
        return Path(options.output_dir) if options is not None else None

    def open_dialog(self) -> None:
        if self.dialog is None:
            self.dialog = ExportDatasetDialog(self.default_run_dir(), self.window)
        else:  # marks set since it was last open count
            self.dialog.refresh_counts()
        self.dialog.show()
        self.dialog.raise_()

    def shutdown(self) -> None:
        if self.dialog is not None:
            self.dialog.shutdown()
