"""The network side of training: building a compact PSPNet from a recipe, the forward
pass with context dropout, and the pooled-branches-off ablation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from app.model import PSPNet, PSPNetConfig, build_pspnet


def compact_config(num_classes: int, backbone: str, base_width: int) -> PSPNetConfig:
    """A PSPNet whose widths all scale with ``base_width`` (64 gives the published widths).

    PPM branches get a quarter of the feature channels each, as in the paper
    (2048 -> 4 x 512); the head keeps PSPNet's 512 at full width.
    """
    if base_width < 4:
        raise ValueError("--base-width must be at least 4")
    if base_width == 64:
        cfg = PSPNetConfig(num_classes=num_classes, backbone=backbone, aux=True, align_corners=False)
    else:
        probe = PSPNetConfig(num_classes=num_classes, backbone=backbone, base_width=base_width)
        feat = probe.feature_channels
        cfg = PSPNetConfig(num_classes=num_classes, backbone=backbone, base_width=base_width,
                           stem_widths=(base_width, base_width, base_width * 2),
                           ppm_channels=max(4, feat // 4), head_channels=max(16, feat // 2),
                           aux=True, aux_channels=max(16, probe.aux_in_channels // 2),
                           align_corners=False)
    return cfg


def training_memory_format(device: torch.device) -> torch.memory_format:
    """The layout training keeps activations and weights in: plain NCHW on every device.

    channels_last is not used on the CPU: with torch 2.14.1 (oneDNN 3.12) the weight
    gradient of a 1x1 stride-2 convolution with 4 input channels (the compact model's
    first downsampling shortcut) corrupts the heap on AVX2 kernels (reproduced on an
    AVX-512 machine with ONEDNN_MAX_CPU_ISA=AVX2), and it measured no faster for
    inference on an AVX2 CPU either. On CUDA it has not been measured (no GPU lent),
    so it is not used there either until a benchmark shows it pays.
    """
    del device  # one format today; the argument keeps callers honest about where they run
    return torch.contiguous_format


def new_model(cfg: PSPNetConfig, seed: int) -> PSPNet:
    torch.manual_seed(seed)
    return build_pspnet(cfg)


def forward_train(model: PSPNet, x: torch.Tensor, context_dropout: float = 0.0,
                  out_size: tuple[int, int] | None = None
                  ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Main and aux logits at ``out_size`` (default: the input's size); with probability
    ``context_dropout`` per image the pooled branches enter the head as zeros (the
    ablation the card reports), so the head also learns what it can do from local
    features alone."""
    size = out_size or (x.shape[2], x.shape[3])
    c3, c4 = model.backbone(x)
    _, cap = model.ppm(c4, capture=True)
    branches = cap.upsampled
    if context_dropout > 0:
        keep = (torch.rand(x.shape[0], 1, 1, 1, device=x.device) >= context_dropout).to(c4.dtype)
        branches = [b * keep for b in branches]
    main = model.upsample_logits(model.head_from_parts([c4, *branches]), size)
    aux = model.upsample_logits(model.aux(c3), size) if model.aux is not None else None
    return main, aux


@torch.no_grad()
def predict(model: PSPNet, x: torch.Tensor, pooled_off: bool = False,
            out_size: tuple[int, int] | None = None) -> torch.Tensor:
    """Label maps (B, H, W) for a normalised batch; ``pooled_off`` zeroes every pooled
    branch before the head (the features themselves are untouched). With ``out_size``
    the logits go to the input's size and then to ``out_size``, the engine's two steps."""
    if not pooled_off:
        logits = model(x)
    else:
        c4 = model.backbone(x)[1]
        _, cap = model.ppm(c4, capture=True)
        parts = [c4, *[torch.zeros_like(u) for u in cap.upsampled]]
        logits = model.upsample_logits(model.head_from_parts(parts), (x.shape[2], x.shape[3]))
    if out_size is not None and tuple(out_size) != tuple(logits.shape[2:]):
        logits = model.upsample_logits(logits, out_size)
    return logits.argmax(1)


def loss_fn(main: torch.Tensor, aux: torch.Tensor | None, target: torch.Tensor,
            aux_weight: float = 0.4, ignore_index: int = 255) -> torch.Tensor:
    loss = F.cross_entropy(main, target, ignore_index=ignore_index)
    if aux is not None and aux_weight > 0:
        loss = loss + aux_weight * F.cross_entropy(aux, target, ignore_index=ignore_index)
    return loss
