"""The architecture description of a PSPNet, as plain data.

One ``PSPNetConfig`` describes every variant the app builds: the three published
ResNet-50/101 layouts (official semseg, mmsegmentation, CSAIL) and the project's
own compact BasicBlock models. It round-trips through JSON so that model cards can
record it exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Blocks per stage and the block type of each backbone depth.
BACKBONES: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
}


BASIC_CONV2_DILATIONS = ("block", "none", "stage")


@dataclass(frozen=True)
class PSPNetConfig:
    """Everything needed to build a PSPNet whose state_dict has a known shape.

    ``contract_dilation`` is the mmsegmentation / CSAIL scheme where the first
    block of a dilated stage uses half the stage's dilation (1 in layer3, 2 in
    layer4); the official semseg code dilates every block (2 and 4).

    ``basic_conv2_dilation`` is how a BasicBlock (ResNet-18/34) dilates its second conv,
    which the projects do differently: ``"block"`` like its first conv (this project's
    own models), ``"none"`` never (mmsegmentation's BasicBlock), ``"stage"`` at the
    stage's full rate even in a contracted first block (CSAIL's ``_nostride_dilate``).
    Bottleneck blocks have one 3x3 conv and ignore it.
    """

    num_classes: int
    backbone: str = "resnet50"
    stem_widths: tuple[int, int, int] = (64, 64, 128)
    base_width: int = 64  # channels of layer1 before expansion; compact models shrink it
    contract_dilation: bool = False
    basic_conv2_dilation: str = "block"
    align_corners: bool = True
    bins: tuple[int, ...] = (1, 2, 3, 6)
    ppm_channels: int = 512
    head_channels: int = 512
    dropout: float = 0.1
    aux: bool = False
    aux_channels: int = 256
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.backbone not in BACKBONES:
            raise ValueError(f"unknown backbone {self.backbone!r}; expected one of {sorted(BACKBONES)}")
        if self.num_classes < 1:
            raise ValueError("num_classes must be at least 1")
        if len(self.stem_widths) != 3:
            raise ValueError("stem_widths needs three widths (deep stem)")
        if not self.bins:
            raise ValueError("the pyramid pooling module needs at least one bin size")
        if self.basic_conv2_dilation not in BASIC_CONV2_DILATIONS:
            raise ValueError(f"basic_conv2_dilation must be one of {', '.join(BASIC_CONV2_DILATIONS)}, "
                             f"not {self.basic_conv2_dilation!r}")

    @property
    def block(self) -> str:
        return BACKBONES[self.backbone][0]

    @property
    def layers(self) -> tuple[int, int, int, int]:
        return BACKBONES[self.backbone][1]

    @property
    def expansion(self) -> int:
        return 4 if self.block == "bottleneck" else 1

    @property
    def feature_channels(self) -> int:
        """Channels of the layer4 output, the PPM's input (2048 for ResNet-50)."""
        return self.base_width * 8 * self.expansion

    @property
    def aux_in_channels(self) -> int:
        """Channels of the layer3 output, where the auxiliary head sits."""
        return self.base_width * 4 * self.expansion

    @property
    def description(self) -> str:
        name = {"resnet18": "ResNet-18", "resnet34": "ResNet-34", "resnet50": "ResNet-50",
                "resnet101": "ResNet-101"}[self.backbone]
        width = "" if self.base_width == 64 else f" (width {self.base_width})"
        dil = "contracted" if self.contract_dilation else "full"
        return (f"PSPNet, dilated {name}{width} backbone, output stride 8, {dil} dilation, "
                f"bins {'/'.join(map(str, self.bins))}, {self.num_classes} classes")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stem_widths"] = list(self.stem_widths)
        data["bins"] = list(self.bins)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PSPNetConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown architecture fields: {sorted(unknown)}")
        kwargs = dict(data)
        for key in ("stem_widths", "bins"):
            if key in kwargs:
                kwargs[key] = tuple(int(v) for v in kwargs[key])
        return cls(**kwargs)
