"""Dataset class metadata (names, palettes) and how a checkpoint's classes are found."""

from app.classes.metadata import (KNOWN_DATASETS, ClassInfo, classes_for_count, dataset_classes,
                                  generate_palette, generic_classes)

__all__ = ["KNOWN_DATASETS", "ClassInfo", "classes_for_count", "dataset_classes",
           "generate_palette", "generic_classes"]
