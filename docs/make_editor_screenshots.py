"""Screenshot of the label editor for docs/ (run by hand, offscreen, no display needed).

    python docs/make_editor_screenshots.py [--weights PATH] [--out docs/screenshots]

Opens the first sample scene with the given (or default) model, switches Edit mode on,
paints a stroke with the brush (driven by real mouse events, as in tests/gui/test_editor.py),
starts a polygon and leaves the brush circle over the image, then grabs the window; then
the Edit toolbar while a fill is being computed (editor-busy.png). Nothing is saved: the
edits are discarded at the end.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from docs.qt_wait import settle, start_window, wait_for  # noqa: E402
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402


def send(win, kind, x: float, y: float, buttons=Qt.MouseButton.LeftButton,  # noqa: ANN001
         button=Qt.MouseButton.LeftButton) -> None:
    view = win.view
    pos = QPointF(view.graphics.mapFromScene(view.main_pane.view.mapViewToScene(QPointF(x, y))))
    viewport = view.graphics.viewport()
    QApplication.sendEvent(viewport, QMouseEvent(kind, pos, QPointF(viewport.mapToGlobal(pos.toPoint())),
                                                 button, buttons, Qt.KeyboardModifier.NoModifier))


def busy_toolbar(win, w: int, h: int, path: Path) -> None:  # noqa: ANN001
    """The Edit toolbar while a fill is computed on the edit thread. The sample is small
    enough to be edited at once, so the shot sends every edit to the thread and holds the
    fill there until the toolbar is grabbed."""
    from app.editing import prepared
    from app.gui.editor import tool_edits

    gate, real = threading.Event(), prepared.prepare_fill
    prepared.prepare_fill = lambda *args: real(*args) if gate.wait(30) else None
    tool_edits.BACKGROUND_PIXELS = 0
    editor, bar = win.editor, win.editor.toolbar
    bar.set_tool("fill")
    send(win, QEvent.Type.MouseButtonPress, w * 0.3, h * 0.1)
    send(win, QEvent.Type.MouseButtonRelease, w * 0.3, h * 0.1, buttons=Qt.MouseButton.NoButton)
    wait_for(lambda: bool(bar.busy_label.text()))
    settle(400)
    bar.grab().save(str(path))
    gate.set()
    wait_for(lambda: not editor.busy())
    prepared.prepare_fill = real
    print("saved", path)


def main() -> int:
    from app.gui.launch import first_sample

    args = parse_screenshot_args(screenshot_parser(__doc__))
    out = args.out
    win, shown = start_window(args.weights, first_sample())
    labels = shown[-1].result.labels  # type: ignore[attr-defined]
    h, w = labels.shape
    names = win.viewer.classes().names
    editor, bar = win.editor, win.editor.toolbar
    editor.set_edit_mode(True)
    win.set_overlay_mode("both")
    bar.brush_size.setValue(max(6, w // 40))
    paint = names.index("grass") if "grass" in names else 1
    bar.paint_class.set_value(paint)
    stroke = [(w * (0.12 + 0.02 * i), h * (0.80 - 0.012 * i * (1 if i < 8 else -1))) for i in range(16)]
    send(win, QEvent.Type.MouseButtonPress, *stroke[0])
    for point in stroke[1:]:
        send(win, QEvent.Type.MouseMove, *point, button=Qt.MouseButton.NoButton)
    send(win, QEvent.Type.MouseButtonRelease, *stroke[-1], buttons=Qt.MouseButton.NoButton)
    bar.set_tool("polygon")
    corners = [(w * 0.55, h * 0.30), (w * 0.72, h * 0.26), (w * 0.76, h * 0.45)]
    for x, y in corners:
        send(win, QEvent.Type.MouseButtonPress, x, y)
        send(win, QEvent.Type.MouseButtonRelease, x, y, buttons=Qt.MouseButton.NoButton)
    send(win, QEvent.Type.MouseMove, w * 0.60, h * 0.50, buttons=Qt.MouseButton.NoButton,
         button=Qt.MouseButton.NoButton)
    settle(600)
    win.grab().save(str(out / "editor.png"))
    editor.canvas.cancel()
    busy_toolbar(win, w, h, out / "editor-busy.png")
    editor.discard()
    win.close()
    print("saved", out / "editor.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
