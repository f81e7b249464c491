"""Screenshots of the pyramid pooling inspector, standalone in a QMainWindow.

Run under a virtual display, from the repository root:

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_inspector_screenshots.py [--out docs/screenshots]

Uses the shipped default model (weights/pspnet_scenes.safetensors) on a generated
scene when it exists; otherwise a small random-weight PSPNet (the maps are then
those of an untrained network, and the captions say so).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402 - PySide6 before pyqtgraph
from PySide6.QtWidgets import QMainWindow  # noqa: E402

from docs.qt_wait import application, settle  # noqa: E402
from docs.shot_args import parse_screenshot_args, screenshot_parser  # noqa: E402


def load_model():
    from app.paths import DEFAULT_WEIGHTS

    if DEFAULT_WEIGHTS.exists():
        from app.checkpoints import load_checkpoint

        return load_checkpoint(DEFAULT_WEIGHTS), True
    from app.checkpoints.meta import LoadedModel, ModelMeta
    from app.training.network import compact_config
    from app.training.scenes.classes import scene_classes
    from app.model import build_pspnet
    from tests.helpers import lively

    classes = scene_classes()
    cfg = compact_config(len(classes), "resnet18", 16)
    torch.manual_seed(0)
    model = lively(build_pspnet(cfg), seed=3)  # random BN statistics: varied outputs
    return LoadedModel(model, ModelMeta("native", cfg, classes, name="random-weight PSPNet (untrained)")), False


def main() -> int:
    parser = screenshot_parser(__doc__, weights=False)
    parser.add_argument("--seed", type=int, default=7, help="generated scene to show")
    args = parse_screenshot_args(parser)
    torch.set_num_threads(2)

    application()  # also the PySide6 refcount fix and pyqtgraph's options, as in the app
    from app.engine.segmenter import Segmenter
    from app.gui.inspector import PPMInspectorDock, synchronous_submit
    from app.gui.worker_types import ModelInfo
    from app.gui.inspector.ablation_tab import label_rgba
    from app.gui.inspector.map_view import MapView
    from app.training.scenes import generate_scene

    loaded, trained = load_model()
    image = generate_scene(args.seed, (640, 480)).image
    segmenter = Segmenter(loaded, device="cpu")
    result = segmenter.segment(image, capture=True)
    print(f"model: {loaded.meta.display_name} (trained: {trained}); segmented in {result.seconds:.2f} s")

    window = QMainWindow()
    window.setWindowTitle("PSPNet Studio \u2014 pyramid pooling inspector")
    central = MapView(histogram=False)
    central.set_photo(image)
    central.set_map(label_rgba(result.labels, loaded.meta.classes.palette), (0, 0, image.shape[1], image.shape[0]))
    central.set_opacity(0.45)
    window.setCentralWidget(central)
    dock = PPMInspectorDock(submit=synchronous_submit(segmenter), background=synchronous_submit())
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    central.clicked.connect(dock.show_pixel)
    window.resize(1560, 960)
    window.resizeDocks([dock], [820], Qt.Orientation.Horizontal)
    window.show()
    dock.set_result(image, result, ModelInfo.describe(loaded))

    def shot(name: str) -> None:
        settle()
        path = args.out / name
        window.grab().save(str(path))
        print("wrote", path)

    maps = dock.maps_tab
    maps.source.setCurrentIndex(0)
    maps.reduction.setCurrentIndex(maps.reduction.findData("pca"))
    shot("inspector_maps_pca.png")

    maps.source.setCurrentIndex(4 if maps.source.count() > 4 else maps.source.count() - 1)
    maps.view_mode.setCurrentIndex(maps.view_mode.findData("pooled"))
    top = dock.acts.top_channels(int(maps.source.currentData()), 1)[0][0]
    maps.choose_channel(top)
    shot("inspector_maps_channel.png")

    dock.tabs.setCurrentWidget(dock.contrib_tab)
    dock.contrib_tab.part.setCurrentIndex(1)
    height, width = image.shape[:2]
    dock.show_pixel(width // 2, int(height * 0.7))
    central.set_marker(width // 2, int(height * 0.7))
    shot("inspector_contribution.png")

    dock.tabs.setCurrentWidget(dock.ablation_tab)
    dock.ablation_tab.set_parts_off(tuple(range(1, len(dock.acts.bins) + 1)), "zero")
    dock.ablation_tab.apply.click()
    dock.ablation_tab.show_mode.setCurrentIndex(dock.ablation_tab.show_mode.findData("changed"))
    shot("inspector_ablation.png")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
