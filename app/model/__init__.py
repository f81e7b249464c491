"""The network, free of Qt: configuration, backbones, pyramid pooling, PSPNet."""

from app.model.config import BACKBONES, PSPNetConfig
from app.model.ppm import PPMCapture, PyramidPooling
from app.model.pspnet import PSPNet, build_pspnet, count_parameters

__all__ = ["BACKBONES", "PSPNetConfig", "PPMCapture", "PyramidPooling", "PSPNet",
           "build_pspnet", "count_parameters"]
