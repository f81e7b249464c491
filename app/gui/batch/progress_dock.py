"""The batch dock: progress bar, count, images per second, time left, current file, Cancel,
the failures so far (hidden while there are none) and, once a run ends, its summary in place
with "Details..." (the summary dialog, not modal) and "Open Output Folder"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDockWidget, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
                               QWidget)

from app.engine.batch import BatchReport, FileRecord
from app.gui.batch.controller import BatchRun
from app.gui.batch.failures import FailuresView
from app.gui.batch.options import format_duration
from app.gui.batch.summary import BatchSummaryDialog, open_output_folder, summary_html


class BatchDock(QDockWidget):
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Batch", parent)
        self.setObjectName("batchDock")
        self.heading = QLabel("No batch run yet.")
        self.heading.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setFormat("%v / %m")
        self.count_label = QLabel()
        self.rate_label = QLabel()
        self.eta_label = QLabel()
        self.current_label = QLabel()
        self.current_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the image being segmented; nothing half-written is left")
        self.cancel_button.clicked.connect(self._on_cancel)
        self.cancel_button.setEnabled(False)  # until a run is attached
        self.failures = FailuresView()
        self.failures.hide()  # until the first failure: "Failed: none" and an empty box are noise
        self.summary_text = QLabel()
        self.summary_text.setWordWrap(True)
        self.summary_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QPushButton("Details\u2026")
        self.details_button.setToolTip("The run's summary and its failures in a window of their own")
        self.details_button.clicked.connect(self.show_details)
        self.open_button = QPushButton("Open Output Folder")
        self.open_button.clicked.connect(lambda: self._report is not None and open_output_folder(self._report))
        self.summary_row = QWidget()
        summary_layout = QHBoxLayout(self.summary_row)
        summary_layout.setContentsMargins(0, 0, 0, 0)
        summary_layout.addWidget(self.summary_text, 1)
        summary_layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        summary_layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        self.summary_row.hide()
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        for col, widget in enumerate((self.count_label, self.rate_label, self.eta_label)):
            grid.addWidget(widget, 0, col)
        grid.addWidget(self.cancel_button, 0, 3, Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(2, 1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.bar)
        layout.addLayout(grid)
        layout.addWidget(self.current_label)
        layout.addWidget(self.summary_row)
        layout.addWidget(self.failures, 1)
        layout.addStretch(0)
        self.setWidget(body)
        self._run: BatchRun | None = None
        self._report: BatchReport | None = None
        self._note = ""
        self._rate: float | None = None
        self.details: BatchSummaryDialog | None = None

    def attach(self, run: BatchRun) -> None:
        self._run = run
        options = run.options
        self.heading.setText(f"Labelling <b>{options.input_dir}</b> \u2192 <b>{options.output_dir}</b> "
                             f"({', '.join(options.formats)}; {options.protocol} protocol)")
        self.bar.setRange(0, max(1, len(run.jobs)))
        self.bar.setValue(0)
        self.failures.clear()
        self.failures.hide()
        self.summary_row.hide()
        self._report = None
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        run.progressChanged.connect(self.refresh)
        run.fileFinished.connect(self._on_file)
        run.finished.connect(self._on_finished)
        self.refresh()

    def refresh(self) -> None:
        run = self._run
        if run is None:
            return
        meter = run.meter
        self.bar.setValue(meter.done)
        self.count_label.setText(f"{meter.done} of {meter.total} images")
        rate = meter.rate()
        self.rate_label.setText(f"{rate:.2f} images/s" if rate else "-- images/s")
        self.eta_label.setText(f"{format_duration(meter.eta_seconds())} left")
        self.current_label.setText(f"Now: {run.current}" if run.current else "")

    def _on_file(self, _index: int, record: FileRecord) -> None:
        if record.status == "failed":
            self.failures.add(record)
            self.failures.show()

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling\u2026")
        self.cancelRequested.emit()

    def _on_finished(self, report: BatchReport) -> None:
        self.refresh()
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        state = "cancelled" if report.cancelled else "finished"
        self.eta_label.setText(f"{state} in {format_duration(report.seconds)}")
        self.current_label.setText("")
        run = self._run
        self._report, self._note = report, run.run_files_error if run is not None else ""
        self._rate = run.meter.rate() if run is not None else None
        self.summary_text.setText(f"<b>Batch {state}</b>: " + summary_html(report, self._note, self._rate))
        self.summary_row.show()
        self.failures.setVisible(bool(report.failures))

    def show_details(self) -> BatchSummaryDialog | None:
        """The last run's summary dialog (one at a time; not modal)."""
        if self._report is None:
            return None
        if self.details is not None:
            self.details.close()
            self.details.deleteLater()
        self.details = BatchSummaryDialog(self._report, self._note, self, rate=self._rate)
        self.details.show()
        return self.details
