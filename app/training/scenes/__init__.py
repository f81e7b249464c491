"""Generated outdoor scenes with exact labels, where context decides some classes."""

from app.training.scenes.classes import CLASS_NAMES, CONTEXT_CLASSES, scene_classes
from app.training.scenes.compose import DEFAULT_SIZE, Scene, generate_scene

__all__ = ["CLASS_NAMES", "CONTEXT_CLASSES", "DEFAULT_SIZE", "Scene", "generate_scene",
           "scene_classes"]
