"""The "Label Folder" dialog: what to label, where to, how, and what to do with finished images."""

from __future__ import annotations

from pathlib import Path
from typing import Collection

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QRadioButton,
                               QVBoxLayout, QWidget)

from app.engine.batch import Job, outputs_done, plan_jobs
from app.engine.writers import OUTPUT_FORMATS, SUFFIXES
from app.gui.actions import PROTOCOL_TITLES
from app.gui.batch.options import BatchOptions, default_output_dir

FORMAT_TITLES = {"label": "Label map", "color": "Colour mask", "overlay": "Overlay", "json": "Per-image JSON"}
# the protocols of Model > Protocol (the same titles, without the menu's '&')
PROTOCOLS = {name: title.replace("&", "") for name, title in PROTOCOL_TITLES.items()}


def _path_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


def plan(options: BatchOptions) -> tuple[list[Job], list[str]]:
    """The run's jobs, and what planning found wrong as sentences for the user (an output folder
    that is or holds the input folder: its images would all be taken for an earlier run's outputs)."""
    jobs, problems = plan_jobs([options.input_dir], options.output_dir, options.recursive)
    return jobs, [p[:1].upper() + p[1:] + ("" if p.endswith(".") else ".") for p in problems]


class BatchDialog(QDialog):
    def __init__(self, options: BatchOptions, devices: list[str], parent: QWidget | None = None,
                 offered: Collection[str] | None = None) -> None:
        """``offered``: the protocols the window's model can run (None: all); the others are
        listed but disabled, as in Model > Protocol."""
        super().__init__(parent)
        self.setWindowTitle("Label Folder")
        self.setMinimumWidth(560)
        self.input_edit = QLineEdit(str(options.input_dir) if str(options.input_dir) != "." else "")
        self.input_edit.setPlaceholderText("the folder of images to label")
        browse_in = QPushButton("Browse\u2026")
        self.recursive_box = QCheckBox("Include sub-folders (mirrored in the output folder)")
        self.recursive_box.setChecked(options.recursive)
        self.output_edit = QLineEdit(str(options.output_dir) if str(options.output_dir) != "." else "")
        self.output_edit.setPlaceholderText("where the label files go")
        browse_out = QPushButton("Browse\u2026")
        self.format_boxes: dict[str, QCheckBox] = {}
        formats_row = QHBoxLayout()
        for fmt in OUTPUT_FORMATS:
            box = QCheckBox(FORMAT_TITLES[fmt])
            box.setToolTip(f"NAME{SUFFIXES[fmt]}")
            box.setChecked(fmt in options.formats)
            self.format_boxes[fmt] = box
            formats_row.addWidget(box)
        formats_row.addStretch(1)
        self.protocol_combo = QComboBox()
        for name, title in PROTOCOLS.items():
            self.protocol_combo.addItem(title, name)
            if offered is not None and name not in offered:
                index = self.protocol_combo.count() - 1
                item = self.protocol_combo.model().item(index)  # type: ignore[attr-defined]
                item.setEnabled(False)
                item.setToolTip("The window's model does not offer this protocol")
        chosen = self.protocol_combo.findData(options.protocol)
        if chosen < 0 or offered is not None and options.protocol not in offered:
            chosen = self.protocol_combo.findData("fast")
        self.protocol_combo.setCurrentIndex(max(0, chosen))
        self.device_combo = QComboBox()
        for name in devices or ["auto"]:
            self.device_combo.addItem(name, name)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(options.device)))
        self.device_combo.setToolTip("The device of the window's model (Model > Device) for this run and after")
        self.skip_radio = QRadioButton("Skip them (resume an earlier run)")
        self.overwrite_radio = QRadioButton("Overwrite them (asks first)")
        group = QButtonGroup(self)
        group.addButton(self.skip_radio)
        group.addButton(self.overwrite_radio)
        (self.overwrite_radio if options.overwrite else self.skip_radio).setChecked(True)
        self.replace_edited_box = QCheckBox("Also replace maps edited by hand")
        self.replace_edited_box.setToolTip("Images whose NAME.json says \"edited\": true are kept unless "
                                           "this is ticked; then they are labelled again")
        self.replace_edited_box.setChecked(options.replace_edited)
        existing = QVBoxLayout()
        existing.setSpacing(2)
        existing.addWidget(self.skip_radio)
        existing.addWidget(self.overwrite_radio)
        existing.addWidget(self.replace_edited_box)
        self.plan_label = QLabel()
        self.plan_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #ea4335;")
        self.plan_problems: list[str] = []  # what the last look at the folders found wrong

        form = QFormLayout()
        form.addRow("Input folder:", _path_row(self.input_edit, browse_in))
        form.addRow("", self.recursive_box)
        form.addRow("Output folder:", _path_row(self.output_edit, browse_out))
        form.addRow("Write:", formats_row)
        form.addRow("Protocol:", self.protocol_combo)
        form.addRow("Device:", self.device_combo)
        form.addRow("Already labelled:", existing)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

        browse_in.clicked.connect(self._browse_input)
        browse_out.clicked.connect(self._browse_output)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.input_edit.editingFinished.connect(self._input_changed)
        self.output_edit.editingFinished.connect(self.update_plan)
        # the count follows typing too, once the user pauses (a folder listing per keystroke is too much)
        self._plan_timer = QTimer(self, singleShot=True, interval=400)
        self._plan_timer.timeout.connect(self.update_plan)
        self.input_edit.textEdited.connect(lambda _: self._plan_timer.start())
        self.output_edit.textEdited.connect(lambda _: self._plan_timer.start())
        self.recursive_box.toggled.connect(lambda _: self.update_plan())
        for box in self.format_boxes.values():
            box.toggled.connect(lambda _: self.update_plan())
        self._input_changed()

    def options(self) -> BatchOptions:
        return BatchOptions(
            input_dir=Path(self.input_edit.text().strip()), output_dir=Path(self.output_edit.text().strip()),
            recursive=self.recursive_box.isChecked(),
            formats=tuple(f for f, box in self.format_boxes.items() if box.isChecked()),
            protocol=str(self.protocol_combo.currentData()), device=str(self.device_combo.currentData()),
            overwrite=self.overwrite_radio.isChecked(), replace_edited=self.replace_edited_box.isChecked())

    def update_plan(self) -> None:
        """How many images the run would see and how many are labelled already (a quick look),
        or in the message area why the run would do nothing."""
        options = self.options()
        self.plan_problems = []
        if options.problems():
            self.plan_label.setText("")
            return
        jobs, self.plan_problems = plan(options)
        self.error_label.setText("\n".join(self.plan_problems))
        if self.plan_problems and not jobs:  # not "0 images found" beside a folder of photos
            self.plan_label.setText("")
            return
        finished = sum(outputs_done(job, options.formats) for job in jobs)
        text = f"{len(jobs)} image{'s' if len(jobs) != 1 else ''} found"
        if finished:
            text += f"; {finished} already have every chosen output"
        self.plan_label.setText(text + ".")

    def accept(self) -> None:
        problems = self.options().problems()
        if not problems:
            self._plan_timer.stop()
            self.update_plan()  # the folders as they are now, also when typing has not paused yet
            problems = self.plan_problems
        self.error_label.setText("\n".join(problems))
        if not problems:
            super().accept()

    def _input_changed(self) -> None:
        text = self.input_edit.text().strip()
        if text and not self.output_edit.text().strip():
            self.output_edit.setText(str(default_output_dir(Path(text))))
        self.update_plan()

    def _browse_input(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder to label", self.input_edit.text())
        if path:
            self.input_edit.setText(path)
            self._input_changed()

    def _browse_output(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.output_edit.text())
        if path:
            self.output_edit.setText(path)
            self.update_plan()
