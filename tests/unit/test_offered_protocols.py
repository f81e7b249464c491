"""What a model offers is one rule (ModelMeta.offered_protocols): fast and official for every
model, then the checkpoint's own; ``protocol()`` accepts exactly those."""

from __future__ import annotations

import pytest

from app.checkpoints.meta import ModelMeta, ProtocolSettings
from app.checkpoints.protocols import mmseg_protocols, semseg_protocols
from app.classes import generic_classes
from app.model import PSPNetConfig


def meta_with(protocols: dict[str, ProtocolSettings]) -> ModelMeta:
    config = PSPNetConfig(num_classes=5)
    return ModelMeta("native", config, generic_classes(5), protocols=dict(protocols))


@pytest.mark.parametrize("protocols", [{}, mmseg_protocols(5), semseg_protocols(5),
                                       {"ms": ProtocolSettings("ms", style="semseg")}])
def test_protocol_accepts_exactly_the_offered_ones(protocols):
    meta = meta_with(protocols)
    offered = meta.offered_protocols()
    assert offered[:2] == ["fast", "official"] and len(offered) == len(set(offered))
    assert set(offered) == {"fast", "official"} | set(protocols)
    for name in ("fast", "official", "ms", "slide", "tta"):
        if name in offered:
            assert meta.protocol(name).name == name
        else:
            with pytest.raises(ValueError, match=f"does not offer the '{name}' protocol; it offers "
                                                 + ", ".join(offered)):
                meta.protocol(name)


def test_a_checkpoints_own_official_settings_win_over_the_standard_ones():
    own = ProtocolSettings("official", base_size=2048, crop_size=713, flip=True)
    meta = meta_with({"official": own})
    assert meta.offered_protocols() == ["fast", "official"] and meta.protocol("official") is own
    assert meta.protocol("fast") == ProtocolSettings("fast", flip=False)
