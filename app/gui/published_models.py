"""Help/Model > Get Published Models...: the catalogue, a download, then the model loads.

A thin layer over app.checkpoints.catalogue and .download. The download runs on its
own QThread with a progress bar and Cancel (a threading.Event set straight from the
GUI thread); the files go to a folder per model under the user's cache folder, and
nothing appears there until a file is complete and its size and hash are checked.
Models without a direct link (semseg's Google Drive folder) get "Open Page" instead.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from PySide6.QtCore import QObject, QStandardPaths, QThread, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.checkpoints.catalogue import CATALOGUE, PublishedModel, describe_size
from app.checkpoints.download import DownloadCancelled, DownloadError, Downloaded, download_model
from app.checkpoints.partial_download import resumable_bytes

if TYPE_CHECKING:
    from app.gui.actions import WindowMenus
    from app.gui.main_window import MainWindow

COLUMNS = ("Model", "Trained on", "Classes", "mIoU ss / ms", "Size", "Source")


def default_models_folder() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)) / "models"


class DownloadThread(QThread):
    progressed = Signal(int, int)   # bytes done, bytes expected (-1: not known)
    completed = Signal(list)        # [Downloaded]
    failed = Signal(str, bool)      # message, cancelled

    def __init__(self, model: PublishedModel, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model, self.folder = model, folder
        self.cancel_event = threading.Event()
        self._last_step = -1

    def run(self) -> None:  # the download thread
        try:
            done = download_model(self.model, self.folder, progress=self._report, cancel=self.cancel_event)
        except DownloadCancelled as exc:
            self.failed.emit(str(exc), True)
        except DownloadError as exc:
            self.failed.emit(str(exc), False)
        except Exception as exc:  # noqa: BLE001 - a bug must not leave the dialog waiting forever
            self.failed.emit(f"The download failed: {type(exc).__name__}: {exc}", False)
        else:
            self.completed.emit(done)

    def _report(self, done: int, total: int | None) -> None:
        step = done * 200 // total if total else done >> 20  # half-percent, or each MiB when unknown
        if step != self._last_step:  # a signal per chunk would flood the GUI thread
            self._last_step = step
            self.progressed.emit(done, total if total is not None else -1)


class PublishedModelsDialog(QDialog):
    modelDownloaded = Signal(object)  # Path of the file to open
    openWeightsRequested = Signal()   # a file already on disk: the window's Open Weights dialog

    def __init__(self, models: Sequence[PublishedModel] = CATALOGUE, folder: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Published PSPNet Models")
        self.resize(980, 560)
        self.models = list(models)
        self.folder = folder or default_models_folder()
        self.thread_: DownloadThread | None = None
        self.table = QTableWidget(len(self.models), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        for row, model in enumerate(self.models):
            for column, text in enumerate(self._cells(model)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setOpenExternalLinks(True)
        self.details.setMinimumHeight(70)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = QLabel(f"Downloads go to {self.folder}, one folder per model. No file there is ever "
                             "replaced. Files already on disk: File > Open Weights.")
        self.status.setWordWrap(True)
        self.download_button = QPushButton("Download and Open")
        self.page_button = QPushButton("Open Page")
        self.cancel_button = QPushButton("Cancel Download")
        self.cancel_button.setEnabled(False)
        self.open_button = QPushButton("Open Weights...")
        self.open_button.setToolTip("Load a checkpoint already on disk (downloaded in a browser)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        row_buttons = QHBoxLayout()
        for button in (self.download_button, self.cancel_button, self.page_button, self.open_button):
            row_buttons.addWidget(button)
        row_buttons.addStretch(1)
        row_buttons.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(row_buttons)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.download_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.page_button.clicked.connect(self._open_page)
        self.open_button.clicked.connect(self.openWeightsRequested)
        self.buttons.rejected.connect(self.reject)
        self.table.selectRow(0)

    @staticmethod
    def _cells(model: PublishedModel) -> tuple[str, ...]:
        miou = " / ".join(f"{v:.2f}" if v is not None else "-" for v in (model.miou_ss, model.miou_ms))
        return (model.name, model.dataset_title, str(model.num_classes), miou,
                describe_size(model.size) or "-", model.source)

    def selected(self) -> PublishedModel | None:
        rows = self.table.selectionModel().selectedRows()
        return self.models[rows[0].row()] if rows else None

    def select(self, key: str) -> None:
        self.table.selectRow(next(i for i, m in enumerate(self.models) if m.key == key))

    def destination(self, model: PublishedModel) -> Path:
        return self.folder / model.key

    def _on_selection(self) -> None:
        model = self.selected()
        busy = self.thread_ is not None
        self.download_button.setEnabled(model is not None and model.downloadable and not busy)
        self.page_button.setEnabled(model is not None)
        if model is None:
            self.details.setText("")
            return
        files = ", ".join(f.name for f in model.files)
        checks = [f.sha256 or f.sha256_prefix for f in model.files if f.sha256 or f.sha256_prefix]
        check = f", checked against the published sha256 ({', '.join(c[:8] for c in checks)}...)" if checks else ""
        where = (f"Direct download from {model.files[0].url.split('/')[2]}{check}." if model.downloadable else
                 f"No direct link: <a href='{model.page}'>open the publisher's page</a>, download {files} "
                 "in a browser, then File > Open Weights.")
        kept = self._resumable(model)
        self.download_button.setText("Resume Download" if kept else "Download and Open")
        resume = f" {kept / 1e6:.1f} MB of an interrupted download are kept; Resume Download goes on from there." \
            if kept else ""
        self.details.setText(f"<b>{model.name}</b>, {model.backbone}, trained on {model.dataset_title} "
                             f"({model.num_classes} classes). Files: {files}. {where} {model.notes} "
                             f"<a href='{model.source_url}'>Published results</a>.{resume}")

    def _resumable(self, model: PublishedModel) -> int:
        folder = self.destination(model)
        return sum(resumable_bytes(f.url, folder / f.name) for f in model.files if f.url) if model.downloadable else 0

    def _open_page(self) -> None:
        model = self.selected()
        if model is not None:
            QDesktopServices.openUrl(QUrl(model.page or model.source_url))

    def start(self) -> None:
        model = self.selected()
        if model is None or not model.downloadable or self.thread_ is not None:
            return
        self.thread_ = DownloadThread(model, self.destination(model), self)
        self.thread_.progressed.connect(self._on_progress)
        self.thread_.completed.connect(self._on_completed)
        self.thread_.failed.connect(self._on_failed)
        self.thread_.finished.connect(self._on_finished)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(f"Downloading {model.name} to {self.destination(model)}...")
        self.download_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.thread_.start()

    def cancel(self) -> None:
        if self.thread_ is not None:
            self.thread_.cancel_event.set()  # directly: a queued signal would wait for the download
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling...")

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(done * 1000 // total)
            self.progress.setFormat(f"{done / 1e6:.1f} of {total / 1e6:.1f} MB")
        else:
            self.progress.setRange(0, 0)
            self.status.setText(f"Downloaded {done / 1e6:.1f} MB...")

    def _on_completed(self, files: list[Downloaded]) -> None:
        kept = [f.path.name for f in files if f.kept]
        note = f" (already there, kept: {', '.join(kept)})" if kept else ""
        self.status.setText(f"Saved in {files[0].path.parent}{note}; loading the model...")
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.modelDownloaded.emit(files[0].path)

    def _on_failed(self, text: str, cancelled: bool) -> None:
        self.progress.hide()
        self.status.setText(text.replace("The download was cancelled.", "Cancelled.") if cancelled else text)

    def _on_finished(self) -> None:
        self.thread_ = None
        self.cancel_button.setEnabled(False)
        self._on_selection()

    def done(self, result: int) -> None:  # noqa: D102 - closing cancels a running download
        if self.thread_ is not None:
            self.thread_.cancel_event.set()
            self.thread_.wait(30_000)  # one read at most (the downloader's timeout, 20 s)
        super().done(result)


class PublishedModelsLink:
    """Adds Model > Get Published Models... (also under Help) and opens what was downloaded."""

    def __init__(self, window: "MainWindow") -> None:
        self.w = window
        self.dialog: PublishedModelsDialog | None = None
        self.action = QAction("Get &Published Models...", window)
        self.action.setToolTip("PSPNet checkpoints trained on ADE20K, PASCAL VOC and Cityscapes")
        self.action.triggered.connect(lambda _checked=False: self.open_dialog())
        window.addAction(self.action)
        menus: WindowMenus = window.actions_
        menus.add_to_menu("model", self.action, before="model:card")
        menus.add_to_menu("help", self.action)

    def open_dialog(self, models: Sequence[PublishedModel] | None = None, folder: Path | None = None) -> \
            PublishedModelsDialog:
        if self.dialog is None or models is not None or folder is not None:
            self.dialog = PublishedModelsDialog(models if models is not None else CATALOGUE, folder, self.w)
            self.dialog.modelDownloaded.connect(self._open)
            self.dialog.openWeightsRequested.connect(self.w.open_weights_dialog)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _open(self, path: Path) -> None:
        self.w.load_weights(Path(path))

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """The window closes: stop a running download (its partial file is removed)."""
        thread = self.dialog.thread_ if self.dialog is not None else None
        if thread is not None:
            thread.cancel_event.set()
            thread.wait(timeout_ms)
