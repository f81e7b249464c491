"""The end of a run: done, skipped, failed, time, the failures, and "Open output folder".

The batch dock shows the same text in place (``summary_html``); this dialog is its details
view, opened from the dock's "Details..." button, and never blocks the window (not modal).
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.engine.batch import BatchReport
from app.engine.ledger_states import kept_as_edited
from app.gui.batch.failures import FailuresView
from app.gui.batch.options import format_duration


def summary_text(report: BatchReport, rate: float | None = None) -> str:
    """``rate``: the run's own images per second of segmenting (``RateMeter.rate``), the
    figure the progress dock showed; without it, labelled images over the whole run."""
    done, skipped, failed = report.count("ok"), report.count("skipped"), report.count("failed")
    left = report.count("cancelled")
    edited = sum(kept_as_edited(r) for r in report.records)
    parts = [f"<b>{done}</b> labelled", f"<b>{skipped - edited}</b> skipped (already labelled)",
             f"<b>{failed}</b> failed"]
    if edited:
        parts.insert(2, f"<b>{edited}</b> kept (edited by hand)")
    if left:
        parts.append(f"<b>{left}</b> not started (cancelled; run again to resume)")
    if rate is None:
        rate = done / report.seconds if done and report.seconds > 0 else 0.0
    speed = f", {rate:.2f} images/s" if rate > 0 else ""
    return (", ".join(parts) + f".<br>Time: {format_duration(report.seconds)}{speed}."
            f"<br>Output folder: {report.out_dir}")


def summary_html(report: BatchReport, note: str = "", rate: float | None = None) -> str:
    """``summary_text`` with the run files' problem (``note``) under it, as dock and dialog show it."""
    return summary_text(report, rate) + (f"<br><i>{note}</i>" if note else "")


def open_output_folder(report: BatchReport) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(report.out_dir)))


class BatchSummaryDialog(QDialog):
    def __init__(self, report: BatchReport, note: str = "", parent: QWidget | None = None,
                 rate: float | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Batch cancelled" if report.cancelled else "Batch finished")
        self.setModal(False)
        self.setMinimumWidth(640)
        self.text = QLabel(summary_html(report, note, rate))
        self.text.setWordWrap(True)
        self.failures = FailuresView()
        self.failures.set_records(report.failures)
        self.failures.setVisible(bool(report.failures))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_button = buttons.addButton("Open Output Folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(self.open_output_folder)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.failures, 1)
        layout.addWidget(buttons)

    def open_output_folder(self) -> bool:
        return open_output_folder(self.report)
