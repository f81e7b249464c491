"""The classes of the generated scenes, their colours, and the two scene kinds.

Index order is the label value written to ``labels/*.png`` and the network's output
order, so it must never be reordered once weights are shipped.
"""

from __future__ import annotations

from app.classes import ClassInfo

SKY, CLOUD, SUN, MOUNTAIN, WATER, GRASS, TREE, ROAD, BUILDING, CAR, BOAT, PERSON = range(12)

CLASS_NAMES: tuple[str, ...] = (
    "sky", "cloud", "sun", "mountain", "water", "grass", "tree", "road", "building", "car",
    "boat", "person",
)
CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    (70, 130, 180),   # sky: steel blue
    (220, 220, 220),  # cloud
    (250, 200, 30),   # sun
    (140, 100, 70),   # mountain
    (30, 60, 200),    # water
    (100, 200, 60),   # grass
    (20, 110, 30),    # tree
    (128, 64, 128),   # road (the Cityscapes colour)
    (200, 70, 60),    # building
    (0, 0, 142),      # car
    (0, 190, 190),    # boat
    (220, 20, 60),    # person
)

# A scene is a harbour or a street. Everything is drawn from the same distributions in
# both, except the landmark band far behind: mountains at a harbour, buildings in a
# street. That band alone decides whether the flat surface is water or road and whether
# the vehicles on it are boats or cars.
HARBOUR, STREET = "harbour", "street"
SURFACE_CLASS = {HARBOUR: WATER, STREET: ROAD}
VEHICLE_CLASS = {HARBOUR: BOAT, STREET: CAR}
LANDMARK_CLASS = {HARBOUR: MOUNTAIN, STREET: BUILDING}

# Classes whose pixels look alike in both scene kinds; only the global layout decides them.
CONTEXT_CLASSES: tuple[str, ...] = ("water", "road", "car", "boat")


def scene_classes() -> ClassInfo:
    """The ClassInfo written to classes.json and into the model card."""
    return ClassInfo(CLASS_NAMES, CLASS_COLORS, dataset="custom",
                     title="PSPNet Studio generated scenes")
