"""What a loaded checkpoint is: the network plus everything the UI must not guess.

Like torchvision's weight entries, a ``ModelMeta`` carries the classes, the input
normalisation and the recommended test protocols, so the engine and the GUI read
them from here rather than assuming.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.classes import ClassInfo
from app.model.config import PSPNetConfig

if TYPE_CHECKING:
    from app.model.pspnet import PSPNet

FORMATS = {
    "semseg": "hszhao/semseg (official PSPNet code)",
    "mmseg": "mmsegmentation",
    "csail": "CSAIL semantic-segmentation-pytorch",
    "native": "PSPNet Studio (safetensors + JSON card)",
}

# The protocols every model can run, whatever its checkpoint offers (``standard_protocol``).
ALWAYS_OFFERED = ("fast", "official")

# ImageNet statistics on 0-255 values, as all three published codes use them.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class Normalization:
    """Per-channel mean/std on 0-255 RGB values."""

    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def to_dict(self) -> dict[str, Any]:
        return {"mean": list(self.mean), "std": list(self.std), "order": "RGB", "range": "0-255"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Normalization":
        mean = tuple(float(v) for v in data["mean"])
        std = tuple(float(v) for v in data["std"])
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError("normalisation needs three means and three positive stds")
        return cls(mean, std)


# Each protocol and the implementations' rules it can follow (ProtocolSettings.style).
PROTOCOL_STYLES: dict[str, tuple[str, ...]] = {
    "fast": ("standard", "csail"),
    "official": ("standard",),
    "ms": ("semseg", "mmseg", "csail"),
    "slide": ("mmseg",),
}


@dataclass(frozen=True)
class ProtocolSettings:
    """How an image becomes network input and how the outputs are combined.

    ``fast``: one whole-image pass; the image is resized so that its ``resize_side``
    ('long' or 'short') equals ``base_size`` (and, for 'short', the long side is at
    most ``max_long``). ``official``: semseg's sliding-window evaluation with crops
    of ``crop_size``, long side = round(scale x base_size) for each scale, flip
    averaging when ``flip`` is set.

    ``style`` 'csail' makes ``fast`` follow CSAIL's test code instead of mmseg's: sizes
    truncated, then rounded up to a multiple of 8; PIL's bilinear resize of the uint8
    image (which antialiases when shrinking); logits upsampled straight to the
    original size.

    ``ms`` is each implementation's own multi-scale test, chosen by ``style``:
    'semseg' (the official windows at every scale, flip), 'mmseg' (its test-time
    augmentation: whole-image passes at each ratio of the keep-ratio scale
    (``max_long``, ``base_size``), with and without flip, softmax averaged) or
    'csail' (whole-image passes at each short side in ``sizes``, long side at most
    ``max_long``). ``slide`` is mmseg's slide inference: the keep-ratio resize, then
    ``crop_size`` windows every ``stride`` pixels, logits averaged. See docs/protocols.md.
    """

    name: str = "fast"
    base_size: int = 512
    resize_side: str = "long"
    max_long: int | None = None
    crop_size: int = 473
    scales: tuple[float, ...] = (1.0,)
    flip: bool = False
    style: str = "standard"
    stride: int | None = None     # slide: window step (default: 2/3 of the crop, rounded up)
    sizes: tuple[int, ...] = ()   # ms in CSAIL's style: the short sides (its imgSizes)

    def __post_init__(self) -> None:
        if self.name not in PROTOCOL_STYLES:
            raise ValueError(f"unknown protocol {self.name!r}; expected one of {', '.join(PROTOCOL_STYLES)}")
        if self.resize_side not in ("long", "short"):
            raise ValueError("resize_side must be 'long' or 'short'")
        styles = PROTOCOL_STYLES[self.name]
        if self.style not in styles:
            raise ValueError(f"unknown protocol style {self.style!r} for {self.name!r}; expected "
                             + " or ".join(repr(s) for s in styles))
        if self.base_size < 8 or self.crop_size < 8:
            raise ValueError("base size and crop size must be at least 8 pixels")
        if not self.scales or min(self.scales) <= 0:
            raise ValueError("scales must be positive")
        if self.stride is not None and not 1 <= self.stride <= self.crop_size:
            raise ValueError("the stride must be between 1 and the crop size (larger leaves pixels unseen)")
        if self.sizes and min(self.sizes) < 8:
            raise ValueError("sizes must be at least 8 pixels")
        if self.name == "ms" and self.style == "csail" and not self.sizes:
            raise ValueError("CSAIL's multi-scale test needs its sizes")

    def with_overrides(self, **changes: Any) -> "ProtocolSettings":
        """A copy with the given fields replaced; ``None`` values are ignored."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "scales" in changes:
            changes["scales"] = tuple(float(s) for s in changes["scales"])
        if "sizes" in changes:
            changes["sizes"] = tuple(int(s) for s in changes["sizes"])
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scales"] = list(self.scales)
        data["sizes"] = list(self.sizes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ProtocolSettings":
        kwargs = dict(data)
        if "scales" in kwargs:
            kwargs["scales"] = tuple(float(s) for s in kwargs["scales"])
        if "sizes" in kwargs:
            kwargs["sizes"] = tuple(int(s) for s in kwargs["sizes"])
        return cls(**kwargs)


@dataclass
class ModelMeta:
    format: str
    architecture: PSPNetConfig
    classes: ClassInfo
    normalization: Normalization = field(default_factory=Normalization)
    protocols: dict[str, ProtocolSettings] = field(default_factory=dict)
    source: str = ""
    name: str = ""
    card: dict[str, Any] = field(default_factory=dict)  # recipe, metrics, notes, as stored

    @property
    def num_classes(self) -> int:
        return self.architecture.num_classes

    @property
    def format_title(self) -> str:
        return FORMATS.get(self.format, self.format)

    def offered_protocols(self) -> list[str]:
        """The protocols this model runs: fast and official (every model can), then its own.
        The one rule of what a model offers: ``protocol`` refuses the others, Model > Protocol
        and the batch dialog enable these."""
        return list(ALWAYS_OFFERED) + [name for name in self.protocols if name not in ALWAYS_OFFERED]

    def protocol(self, name: str = "fast") -> ProtocolSettings:
        """The recommended settings of a protocol this model offers (``offered_protocols``)."""
        offered = self.offered_protocols()
        if name not in offered:
            raise ValueError(f"this model does not offer the {name!r} protocol; it offers {', '.join(offered)}")
        return self.protocols[name] if name in self.protocols else standard_protocol(name)

    @property
    def display_name(self) -> str:
        return self.name or (Path(self.source).name if self.source else self.architecture.description)


def standard_protocol(name: str) -> ProtocolSettings:
    """'fast' or 'official' at the default sizes. This is the one place that decides the flip:
    official (semseg's evaluation) averages each window with its mirrored pass, fast does not."""
    return ProtocolSettings(name=name, flip=(name == "official"))


@dataclass
class LoadedModel:
    """A network in eval mode on the CPU, with its metadata."""

    model: PSPNet
    meta: ModelMeta
