"""Comparing two models' predictions: model B beside the window's model A."""

from app.gui.compare.link import CompareLink

__all__ = ["CompareLink"]
