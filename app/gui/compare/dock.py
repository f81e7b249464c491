"""The Model Comparison dock: how far model B's labels of the image shown agree with A's.

It only shows what the link gives it (an ``Agreement`` from app.labels.compare and the
two models' class colours); the models and their work stay in the worker.
"""

from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QDockWidget, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.gui.docks.legend import swatch
from app.labels.compare import Agreement

HEADERS = ("Class", "A %", "B %", "IoU A-B")
TOP_PAIRS = 5
TABLE_MIN_HEIGHT = 150  # a header and about five rows
DIFFERENCE_RGB = (255, 0, 200)  # the disagreement layer's colour (link.py draws it)


def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}" if whole else "-"


class CompareDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model Comparison", parent)
        self.setObjectName("compare_dock")  # saveState/restoreState find it by name
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.models = QLabel()
        self.models.setWordWrap(True)
        self.summary = QLabel("No comparison yet.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pointer = QLabel()  # what each model says under the pointer
        self.updating = QLabel()  # the labels shown are being compared again (after an edit)
        self.updating.setStyleSheet("font-style: italic")
        self.updating.hide()
        self.show_differences = QCheckBox("Show where they disagree on the image")
        self.show_differences.setIcon(swatch(DIFFERENCE_RGB))
        self.show_b_labels = QCheckBox("Draw B's labels instead of A's")
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(TABLE_MIN_HEIGHT)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.confusions = QLabel()
        self.confusions.setMinimumHeight(100)  # the five pairs
        self.confusions.setWordWrap(True)
        self.confusions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for widget in (self.models, self.updating, self.summary, self.pointer, self.show_differences,
                       self.show_b_labels):
            layout.addWidget(widget)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.confusions)
        self.setWidget(body)

    def set_models(self, name_a: str, name_b: str) -> None:
        self.models.setText(f"<b>A</b>: {name_a}<br><b>B</b>: {name_b}")

    def set_cursor(self, text: str) -> None:
        self.pointer.setText(text)

    def set_updating(self, text: str) -> None:
        """The figures below are the last ones while newer ones are worked out ("": they are current)."""
        self.updating.setText(text)
        self.updating.setVisible(bool(text))

    def set_waiting(self, text: str) -> None:
        """Between images: the figures of the last one would not be this one's."""
        self.set_updating("")
        self.summary.setText(text)
        self.pointer.clear()
        self.table.setRowCount(0)
        self.confusions.clear()

    def show_agreement(self, agreement: Agreement, palette_a: Sequence[Sequence[int]],
                       palette_b: Sequence[Sequence[int]], seconds: float) -> None:
        """The figures of one image; each class in the colour the legend gives it (A's, or B's
        for a class only B has)."""
        total = agreement.compared
        share = agreement.agreement
        mean = agreement.mean_iou
        lines = [f"<b>Pixel agreement: {'-' if share is None else f'{100 * share:.1f} %'}</b> "
                 f"({agreement.agreeing:,} of {total:,} pixels)",
                 f"Mean IoU between A and B: {'-' if mean is None else f'{mean:.3f}'} "
                 f"(classes both models have)"]
        if agreement.ignored:
            lines.append(f"{agreement.ignored:,} pixels left out (ignored, 255)")
        for side, other in (("a", "B"), ("b", "A")):
            missing = agreement.missing(side)
            if missing:
                lines.append(f"Only {other} has: {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
        lines.append(f"B took {seconds:.2f} s")
        self.summary.setText("<br>".join(lines))
        rows = agreement.rows()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            rgb = (palette_a[row.a_index] if row.a_index is not None
                   else palette_b[row.b_index] if row.b_index is not None else (128, 128, 128))
            name = QTableWidgetItem(swatch(tuple(int(v) for v in rgb[:3])),  # type: ignore[arg-type]
                                    row.name + (f"  (only {row.only_in})" if row.only_in else ""))
            cells = [name, QTableWidgetItem(percent(row.pixels_a, total)), QTableWidgetItem(percent(row.pixels_b, total)),
                     QTableWidgetItem("-" if row.iou is None else f"{row.iou:.3f}")]
            if row.only_in:
                cells[3].setToolTip(f"Model {'B' if row.only_in == 'A' else 'A'} has no class of this name")
            for column, cell in enumerate(cells):
                if column:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, column, cell)
        pairs = agreement.top_confusions(TOP_PAIRS)
        self.confusions.setText("<b>Most often changed</b> (A &rarr; B):<br>" + "<br>".join(
            f"{a} &rarr; {b}: {count:,} px ({percent(count, total)} %)" for a, b, count in pairs) if pairs
            else "A and B give every compared pixel the same class.")
