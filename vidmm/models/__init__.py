"""Models: the backbone registry (`load_backbone`, `available_backbones`) and, beside it, task models."""

from .backbones import available_backbones, load_backbone

__all__ = ["available_backbones", "load_backbone"]
