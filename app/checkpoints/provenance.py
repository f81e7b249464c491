"""What a loaded model was trained on, in words the main window can show at all times.

A model only ever answers with one of its own classes: the shipped model, trained on
generated scenes, paints a real photo with "sky" and "building" at high confidence.
So the window names the training data and the classes, and says plainly when they
are not a benchmark of real photos.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.checkpoints.meta import ModelMeta
from app.classes import KNOWN_DATASETS


@dataclass(frozen=True)
class Provenance:
    model: str            # the model's display name
    trained_on: str       # "ADE20K", "PSPNet Studio generated scenes", ...
    class_names: tuple[str, ...]
    real_photos: bool     # its classes are those of a published benchmark of real photos
    names_known: bool     # False: generic "class i" names (the file did not say)

    @property
    def summary(self) -> str:
        return f"trained on {self.trained_on}, {len(self.class_names)} classes"

    def class_list(self, limit: int = 60) -> str:
        names = list(self.class_names[:limit])
        rest = len(self.class_names) - len(names)
        return ", ".join(names) + (f" and {rest} more" if rest > 0 else "")

    @property
    def caution(self) -> str:
        """Why its answers on other photos mean little; "" for a benchmark model."""
        if self.real_photos:
            return ""
        if not self.names_known:
            return ("The file does not name its classes, so the colours are only class numbers. "
                    "A card (.json beside the weights) can name them.")
        return (f"It knows only these {len(self.class_names)} classes: on other photos every pixel still "
                "gets one of them, often with high confidence. For real photos, load a model trained on "
                "ADE20K, PASCAL VOC or Cityscapes.")


    @property
    def short_caution(self) -> str:
        """The caution in one line, for the message bar; "" for a benchmark model."""
        if self.real_photos:
            return ""
        if not self.names_known:
            return f"This model's file does not name its {len(self.class_names)} classes: the colours are only numbers."
        return (f"This model knows only the {len(self.class_names)} classes of {self.trained_on}: "
                "other photos still get one of them everywhere.")


def provenance(meta: ModelMeta) -> Provenance:
    classes = meta.classes
    names_known = classes.dataset != "generic"
    if classes.dataset in KNOWN_DATASETS:
        trained_on = classes.title or classes.dataset
    elif names_known:
        trained_on = classes.title or _card_data_kind(meta) or "its own data"
    else:
        trained_on = "unknown data"
    return Provenance(meta.display_name, trained_on, tuple(classes.names), classes.dataset in KNOWN_DATASETS,
                      names_known)


def _card_data_kind(meta: ModelMeta) -> str:
    training = meta.card.get("training")
    data = training.get("data") if isinstance(training, dict) else None
    kind = data.get("kind") if isinstance(data, dict) else None
    return str(kind) if kind else ""
