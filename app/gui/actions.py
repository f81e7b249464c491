"""Menus, shortcuts and the toolbar of the main window (wiring only, no logic).

Each menu is built by its own function. Later features (the links) add to the menus
through the small ``WindowMenus`` interface: make an action, put it in a named menu at a
named place, add a menu; they do not reach into the menus or the actions themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol, Sequence, Union

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QSlider, QStyle, QToolBar, QToolButton, QWidget

from app.gui.image_view import OVERLAY_MODES

# What QKeySequence accepts, or several of them (an action may have more than one shortcut).
Key = Union[str, QKeySequence, QKeySequence.StandardKey]
Shortcut = Union[Key, Sequence[Key], None]

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

MODE_TITLES = {"fill": "&Fill", "contour": "&Contour", "both": "Fill &and Contour", "hidden": "&Hidden"}
MODE_SHORT = {"fill": "Fill", "contour": "Contour", "both": "Both", "hidden": "Hidden"}
PRECISION_TITLES = {"fp32": "fp32 (exact)", "fp16": "fp16 (GPU)", "bf16": "bf16 (GPU)"}
BACKEND_TITLES = {"torch": "&PyTorch",
                  "onnx": "&ONNX Runtime (CPU; builds each input size's graph once)",
                  "auto": "&Automatic (ONNX Runtime where a built graph ran faster)"}
PROTOCOL_TITLES = {"fast": "&Fast (one whole-image pass)",
                   "official": "&Official (sliding window, flip)",
                   "ms": "&Multi-scale (the checkpoint's own code's ms test)",
                   "slide": "&Slide (mmseg's slide inference)"}


class WindowMenus(Protocol):
    """What a link may do to the window's menus (WindowActions implements it).

    Places are named: a menu by its key ('file', 'view', 'model', 'help' and those added),
    a position by an anchor ('file:recent', 'file:export', 'file:quit', 'model:card', and
    the names actions were added under)."""

    def make_action(self, text: str, slot: Callable[..., object], shortcut: Shortcut = None,
                    checkable: bool = False, tip: str = "") -> QAction: ...

    def add_to_menu(self, menu: str, action: QAction, before: str | None = None, after: str | None = None,
                    name: str | None = None, separator: bool = False) -> None: ...

    def add_menu(self, key: str, title: str, before: str) -> QMenu: ...

    def device_names(self) -> list[str]: ...


class WindowActions:
    def __init__(self, window: "MainWindow") -> None:
        self.w = window
        self.menus: dict[str, QMenu] = {}
        self.mode_actions: dict[str, QAction] = {}
        self.protocol_actions: dict[str, QAction] = {}
        self.precision_actions: dict[str, QAction] = {}
        self.backend_actions: dict[str, QAction] = {}
        self.device_group = QActionGroup(window)
        self.anchors: dict[str, QAction] = {}  # named places in the menus (WindowMenus)
        self._build_file_menu()
        self._build_view_menu()
        self._build_model_menu()
        self._build_help_menu()
        self.toolbar = self._build_toolbar()

    def _action(self, text: str, slot: Callable[..., object], shortcut: Shortcut = None,
                checkable: bool = False, icon: QStyle.StandardPixmap | None = None, tip: str = "") -> QAction:
        action = QAction(text, self.w)
        if shortcut is not None:
            keys: list[Key] = ([shortcut] if isinstance(shortcut, (str, QKeySequence, QKeySequence.StandardKey))
                               else list(shortcut))
            action.setShortcuts([QKeySequence(k) for k in keys])
        if icon is not None:
            action.setIcon(self.w.style().standardIcon(icon))
        action.setCheckable(checkable)
        if tip:
            action.setToolTip(tip)
        action.triggered.connect(slot)
        self.w.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _build_file_menu(self) -> None:
        w, sp = self.w, QStyle.StandardPixmap
        menu = self.menus["file"] = w.menuBar().addMenu("&File")
        self.open_image = self._action("&Open Image...", w.open_image_dialog, QKeySequence.StandardKey.Open,
                                       icon=sp.SP_DialogOpenButton, tip="Open an image (Ctrl+O)")
        self.open_folder = self._action("Open &Folder...", w.open_folder_dialog, "Ctrl+Shift+O",
                                        icon=sp.SP_DirOpenIcon, tip="Open a folder of images (Ctrl+Shift+O)")
        self.open_weights = self._action("Open &Weights...", w.open_weights_dialog, "Ctrl+Shift+W",
                                         icon=sp.SP_DriveHDIcon, tip="Load a PSPNet checkpoint")
        self.open_image.setIconText("Image")
        self.open_folder.setIconText("Folder")
        self.open_weights.setIconText("Weights")
        menu.addActions([self.open_image, self.open_folder, self.open_weights])
        self.recent_menu = menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(w.fill_recent_menu)
        menu.addSeparator()
        self.export_menu = menu.addMenu("&Export Current")
        # Ctrl+S is File > Save Labels (the label editor), which writes the same files
        self.export_label = self._action("&Label Map (PNG)...", lambda: w.export_current("label"))
        self.export_color = self._action("&Colour Mask (PNG)...", lambda: w.export_current("color"))
        self.export_overlay = self._action("&Overlay (JPEG)...", lambda: w.export_current("overlay"))
        self.export_menu.addActions([self.export_label, self.export_color, self.export_overlay])
        self.batch_anchor = menu.addSeparator()  # "Label Folder..." goes here (batch dialog)
        self.quit = self._action("&Quit", w.close, QKeySequence.StandardKey.Quit)
        menu.addAction(self.quit)
        self.anchors.update({"file:recent": self.recent_menu.menuAction(), "file:quit": self.quit,
                             "file:export": self.export_menu.menuAction()})

    def _build_view_menu(self) -> None:
        w, view, sp = self.w, self.w.view, QStyle.StandardPixmap
        menu = self.menus["view"] = w.menuBar().addMenu("&View")
        overlay = menu.addMenu("&Overlay")
        group = QActionGroup(w)
        for mode in OVERLAY_MODES:
            action = self._action(MODE_TITLES[mode], lambda _c=False, m=mode: w.set_overlay_mode(m),
                                  checkable=True)
            action.setIconText(MODE_SHORT[mode])
            action.setToolTip(f"Overlay: {MODE_TITLES[mode].replace('&', '')}")
            group.addAction(action)
            overlay.addAction(action)
            self.mode_actions[mode] = action
        self.toggle_overlay = self._action("Toggle Overlay", w.toggle_overlay, "O")
        overlay.addSeparator()
        overlay.addAction(self.toggle_overlay)
        self.opacity_down = self._action("Less Opaque", lambda: w.step_opacity(-10), "[")
        self.opacity_up = self._action("More Opaque", lambda: w.step_opacity(10), "]")
        overlay.addActions([self.opacity_down, self.opacity_up])
        self.side_by_side = self._action("&Side by Side", w.set_side_by_side, "S", checkable=True,
                                         tip="Photo and segmentation next to each other (S)")
        self.confidence = self._action("&Confidence Map", w.set_confidence_map, "C", checkable=True,
                                       tip="Colour by the model's confidence (C)")
        self.side_by_side.setIconText("Side by Side")
        self.confidence.setIconText("Confidence")
        menu.addActions([self.side_by_side, self.confidence])
        menu.addSeparator()
        self.fit = self._action("&Fit to Window", view.fit, "0", tip="Fit the image (0)")
        self.actual = self._action("&Actual Size (100%)", view.actual_size, "1", tip="One image pixel per screen pixel (1)")
        self.zoom_in = self._action("Zoom &In", lambda: view.zoom(1.25), ["+", "=", QKeySequence.StandardKey.ZoomIn])
        self.zoom_out = self._action("Zoom &Out", lambda: view.zoom(0.8), ["-", QKeySequence.StandardKey.ZoomOut])
        self.fit.setIconText("Fit")
        self.actual.setIconText("100%")
        menu.addActions([self.fit, self.actual, self.zoom_in, self.zoom_out])
        menu.addSeparator()
        self.previous = self._action("&Previous Image", lambda: w.viewer.navigate(-1), "Left",
                                     icon=sp.SP_ArrowBack, tip="Previous image in the folder (Left)")
        self.next = self._action("&Next Image", lambda: w.viewer.navigate(1), "Right",
                                 icon=sp.SP_ArrowForward, tip="Next image in the folder (Right)")
        self.find = self._action("&Search the Folder", lambda: w.folder.focus_search(), QKeySequence.StandardKey.Find,
                                 tip="Type part of a file name to narrow the folder list (Ctrl+F)")
        menu.addActions([self.previous, self.next, self.find])
        menu.addSeparator()
        self.docks_menu = menu.addMenu("&Panels")  # each dock's toggleViewAction goes here

    def _choices(self, menu: QMenu, titles: dict[str, str], choose: Callable[[str], object],
                 actions: dict[str, QAction]) -> None:
        """One checkable action per name in ``menu``, exclusive, each calling ``choose(name)``."""
        group = QActionGroup(self.w)
        for name, title in titles.items():
            action = self._action(title, lambda _c=False, n=name: choose(n), checkable=True)
            group.addAction(action)
            menu.addAction(action)
            actions[name] = action

    def _build_model_menu(self) -> None:
        w = self.w
        menu = self.menus["model"] = w.menuBar().addMenu("&Model")
        self.device_menu = menu.addMenu("&Device")
        self._choices(menu.addMenu("&Protocol"), PROTOCOL_TITLES, w.set_protocol, self.protocol_actions)
        w.viewer.modelChanged.connect(self._offer_protocols)
        self._choices(menu.addMenu("P&recision"), PRECISION_TITLES, w.set_precision, self.precision_actions)
        self._choices(menu.addMenu("&Backend"), BACKEND_TITLES, w.set_backend, self.backend_actions)
        menu.addSeparator()
        self.model_card = self._action("Model &Card...", w.show_model_card, "Ctrl+I")
        menu.addAction(self.model_card)
        self.anchors["model:card"] = self.model_card

    # --- WindowMenus: what the links use ----------------------------------------------------
    def make_action(self, text: str, slot: Callable[..., object], shortcut: Shortcut = None,
                    checkable: bool = False, tip: str = "") -> QAction:
        """An action of the window: its shortcut works even with the menu bar hidden."""
        return self._action(text, slot, shortcut, checkable=checkable, tip=tip)

    def add_to_menu(self, menu: str, action: QAction, before: str | None = None, after: str | None = None,
                    name: str | None = None, separator: bool = False) -> None:
        """Put ``action`` in menu ``menu``: before or after an anchor (else at the end), followed
        by a separator if asked; ``name`` makes it an anchor for later links ('file:label folder')."""
        target = self.menus[menu]
        entries = target.actions()
        place = self.anchors.get(before) if before else None
        if after and after in self.anchors and self.anchors[after] in entries:
            index = entries.index(self.anchors[after]) + 1
            place = entries[index] if index < len(entries) else None
        if place is None:
            target.addAction(action)
            if separator:
                target.addSeparator()
        else:
            target.insertAction(place, action)
            if separator:
                target.insertSeparator(place)
        if name:
            self.anchors[name] = action

    def add_menu(self, key: str, title: str, before: str) -> QMenu:
        """A new menu in the menu bar before the menu ``before`` ('view', 'help', ...)."""
        menu = QMenu(title, self.w)
        self.w.menuBar().insertMenu(self.menus[before].menuAction(), menu)
        self.menus[key] = menu
        return menu

    def device_names(self) -> list[str]:
        """The devices offered in Model > Device (auto and cpu until the worker lists them)."""
        return [a.text() for a in self.device_group.actions()] or ["auto", "cpu"]

    def set_devices(self, names: list[str], current: str) -> None:
        self.device_menu.clear()
        for action in self.device_group.actions():
            self.device_group.removeAction(action)
        for name in names:
            action = QAction(name, self.w, checkable=True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _c=False, n=name: self.w.set_device(n))
            self.device_group.addAction(action)
            self.device_menu.addAction(action)

    def _offer_protocols(self, info: object) -> None:
        """Enable the protocols the new model offers (``ModelMeta.offered_protocols``, as the
        batch dialog does); a remembered one it lacks falls back to fast before the image runs again."""
        offered = info.meta.offered_protocols()  # type: ignore[attr-defined]
        for name, action in self.protocol_actions.items():
            action.setEnabled(name in offered)
        if self.w.viewer.protocol not in offered:
            self.w.viewer.protocol = "fast"  # not set_protocol: the viewer is about to run it anyway
            self.w.settings.set_protocol("fast")
            self.protocol_actions["fast"].setChecked(True)

    def _build_help_menu(self) -> None:
        w = self.w
        menu = self.menus["help"] = w.menuBar().addMenu("&Help")
        self.shortcuts = self._action("&Keyboard Shortcuts", w.show_shortcuts, "F1")
        self.about = self._action("&About PSPNet Studio", w.show_about)
        menu.addActions([self.shortcuts, self.about])

    def _build_toolbar(self) -> QToolBar:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.addActions([self.open_image, self.open_folder, self.open_weights])
        bar.addSeparator()
        bar.addActions([self.previous, self.next])
        for action in (self.previous, self.next):
            button = bar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        bar.addSeparator()
        bar.addActions([self.fit, self.actual])
        bar.addSeparator()
        for mode in OVERLAY_MODES:
            bar.addAction(self.mode_actions[mode])
        bar.addSeparator()
        bar.addActions([self.side_by_side, self.confidence])
        bar.addSeparator()
        self.opacity_label = QLabel()
        self.opacity_label.setMinimumWidth(92)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal)
        self.opacity_slider.setRange(0, 100)
        self.opacity_slider.setFixedWidth(140)
        self.opacity_slider.setToolTip("Mask opacity ([ and ])")
        self.opacity_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keep arrows for navigation
        bar.addWidget(self.opacity_label)
        bar.addWidget(self.opacity_slider)
        spacer = QWidget()
        spacer.setFixedWidth(8)
        bar.addWidget(spacer)
        return bar
