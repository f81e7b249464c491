"""A non-modal message strip above the view: errors stay until dismissed, notes fade.

A message may name its topic (e.g. the image it is about), so that it goes away by
itself once that topic is no longer on screen: an error about a bad file does not
stay over the next, good image."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

STYLES = {
    "info": ("#e8f0fe", "#174ea6", "#aecbfa", "ℹ"),
    "warning": ("#fef7e0", "#7a4f01", "#fdd663", "⚠"),
    "error": ("#fce8e6", "#a50e0e", "#f6aea9", "✖"),
}


class MessageBar(QFrame):
    """One message at a time; the newest replaces the old one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.close_button)
        self._action: Callable[[], None] | None = None
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.dismiss)
        self.action_button.clicked.connect(self._run_action)
        self.close_button.clicked.connect(self.dismiss)
        self.level = ""
        self.topic = ""  # what the message is about ("" : until dismissed or replaced)
        self.hide()

    def show_message(self, text: str, level: str = "info", action_text: str = "",
                     action: Callable[[], None] | None = None, timeout_ms: int | None = None,
                     topic: str = "") -> None:
        background, color, border, icon = STYLES.get(level, STYLES["info"])
        self.setStyleSheet(f"#messageBar {{ background:{background}; border:1px solid {border}; "
                           f"border-radius:4px; }} #messageBar QLabel {{ color:{color}; }}")
        self.level = level
        self.topic = topic
        self.icon.setText(icon)
        self.text.setText(text)
        self._action = action
        self.action_button.setText(action_text)
        self.action_button.setVisible(bool(action_text and action))
        if timeout_ms is None:
            timeout_ms = 0 if level == "error" else 8000
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()
        self.show()

    def message(self) -> str:
        return self.text.text() if self.isVisible() else ""

    def dismiss_stale(self, kind: str, current: str) -> bool:
        """Dismiss the message if it is about a ``kind`` topic other than ``current``
        (``kind`` is a prefix such as ``"image:"``); True when it was dismissed."""
        if self.isVisible() and self.topic.startswith(kind) and self.topic != current:
            self.dismiss()
            return True
        return False

    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()

    def _run_action(self) -> None:
        action = self._action
        self.dismiss()
        if action is not None:
            action()
