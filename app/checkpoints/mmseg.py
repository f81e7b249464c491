"""mmsegmentation: ``{'meta', 'state_dict'}`` with ``backbone.*``/``decode_head.*`` keys.

ResNetV1c backbone (deep stem 32-32-64), the first block of layer3/layer4 contracted
to dilation 1/2, align_corners=False (except configs that say otherwise, such as the
769x769 Cityscapes models). Class names and palette come from ``meta['CLASSES']`` /
``meta['PALETTE']`` (0.x) or ``meta['dataset_meta']`` (1.x).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from app.checkpoints.errors import CheckpointError
from app.checkpoints.layout import RenameRule, build_strict, infer_config, rename, tensor_dict
from app.checkpoints.meta import LoadedModel, ModelMeta
from app.checkpoints.protocols import mmseg_protocols
from app.classes import ClassInfo, classes_for_count

RULES = [
    RenameRule(r"backbone\.(stem|layer[1-4])\.", r"backbone.\1."),
    RenameRule(r"decode_head\.psp_modules\.(\d+)\.1\.conv\.", r"ppm.branches.\1.conv."),
    RenameRule(r"decode_head\.psp_modules\.(\d+)\.1\.bn\.", r"ppm.branches.\1.bn."),
    RenameRule(r"decode_head\.bottleneck\.conv\.", "head.conv."),
    RenameRule(r"decode_head\.bottleneck\.bn\.", "head.bn."),
    RenameRule(r"decode_head\.conv_seg\.", "head.classifier."),
    RenameRule(r"auxiliary_head\.convs\.0\.conv\.", "aux.conv."),
    RenameRule(r"auxiliary_head\.convs\.0\.bn\.", "aux.bn."),
    RenameRule(r"auxiliary_head\.conv_seg\.", "aux.classifier."),
]

_ALIGN_TRUE = re.compile(r"align_corners\s*=\s*True")


def looks_like(raw: Any) -> bool:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("state_dict"), Mapping):
        return False
    return any(isinstance(k, str) and k.startswith("backbone.") for k in raw["state_dict"])


def _class_lists(meta: Mapping[str, Any]) -> tuple[Any, Any]:
    dataset_meta = meta.get("dataset_meta")
    if isinstance(dataset_meta, Mapping) and dataset_meta.get("classes"):
        return dataset_meta.get("classes"), dataset_meta.get("palette")
    return meta.get("CLASSES"), meta.get("PALETTE")


def classes_from_meta(meta: Any, num_classes: int, notes: list[str]) -> ClassInfo:
    """The file's own class names and palette when usable, else the class count's."""
    fallback = classes_for_count(num_classes)
    if not isinstance(meta, Mapping):
        return fallback
    names, palette = _class_lists(meta)
    if names is None or (isinstance(names, (list, tuple)) and not names):
        return fallback
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        notes.append("meta's class names are not a list of text; used the defaults")
        return fallback
    odd = next((n for n in names if not n.strip() or not n.isprintable()), None)
    if odd is not None:  # a newline would break labelmap.txt and the CSV summary
        notes.append(f"meta's class name {odd!r} is empty or not one line of text; used the defaults")
        return fallback
    if len(names) != num_classes:
        notes.append(f"meta lists {len(names)} classes but the classifier has {num_classes}; "
                     "the meta's names were ignored")
        return fallback
    if not isinstance(palette, (list, tuple)) or len(palette) != num_classes:
        palette = None
    known = fallback if fallback.dataset != "generic" else None
    try:
        info = ClassInfo.from_lists(list(names), palette, dataset=known.dataset if known else "custom",
                                    title=known.title if known else "")
    except (TypeError, ValueError) as exc:
        notes.append(f"meta's class list was unusable ({exc}); used the defaults")
        return fallback
    return info


def load(path: Path, raw: Any) -> LoadedModel:
    tensors = tensor_dict(path, raw["state_dict"], "the mmsegmentation 'state_dict'")
    renamed = rename(tensors, RULES)
    if not any(k.startswith("head.") for k in renamed.tensors):
        raise CheckpointError(path, "the file holds an mmsegmentation backbone without a PSPNet "
                              "decode head (decode_head.psp_modules.*): expected a PSPNet checkpoint.")
    meta_in = raw.get("meta")
    config_text = meta_in.get("config") if isinstance(meta_in, Mapping) else None
    align = bool(isinstance(config_text, str) and _ALIGN_TRUE.search(config_text))
    # mmseg's BasicBlock never dilates its second conv
    cfg = infer_config(renamed.tensors, path, contract_dilation=True, align_corners=align,
                       basic_conv2_dilation="none")
    model = build_strict(cfg, renamed, path)
    notes: list[str] = []
    classes = classes_from_meta(meta_in, cfg.num_classes, notes)
    card: dict[str, Any] = {"notes": notes} if notes else {}
    if isinstance(meta_in, Mapping):
        info = {k: meta_in[k] for k in ("mmseg_version", "iter", "epoch", "time")
                if isinstance(meta_in.get(k), (str, int, float))}
        if info:
            card["training"] = info
    meta = ModelMeta(format="mmseg", architecture=cfg, classes=classes,
                     protocols=mmseg_protocols(cfg.num_classes), source=str(path), card=card)
    return LoadedModel(model, meta)
