"""open_clip models behind the Backbone interface (optional extra: ``pip install 'vidmm[openclip]'``).

Accepted forms (after the ``openclip:`` prefix, which the registry strips):
  ``ARCH:TAG``                 a pretrained tag, e.g. ``ViT-B-32:laion2b_s34b_b79k``
  ``hf-hub:ORG/NAME``          an open_clip model on the Hugging Face hub
  ``/path/folder``             a folder with ``open_clip_config.json`` and a checkpoint (open_clip's local-dir)
  ``/path/ckpt.safetensors``   a checkpoint with ``open_clip_config.json`` beside it
  ``ARCH:/path/ckpt``          a checkpoint of a built-in architecture
Weights come from the HF cache or the path; with HF_HUB_OFFLINE=1 nothing is downloaded and a model that is
absent raises ModelMissingError. Preprocessing and tokeniser come paired with the model from open_clip.
open_clip needs torchvision, which is why this is an extra and not a default dependency.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import ModelFileError, ModelMissingError, UsageError
from .base import ClipStyleBackbone, short_hash, weights_digest
from .hf_clip import hf_cache_dir, hf_offline, missing_hint

CHECKPOINT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


def _import_open_clip():
    try:
        import open_clip
    except ImportError as exc:
        raise ModelMissingError(
            "open_clip backbones need the optional extra `openclip`",
            hint="pip install 'vidmm[openclip]' (needs torchvision), or use a transformers CLIP id",
        ) from exc
    return open_clip


def parse_spec(spec: str) -> tuple[str, str | None, str | None]:
    """(model_name for open_clip, pretrained tag or file or None, weights file if already known locally)."""
    p = Path(spec).expanduser()
    if p.is_dir():
        return f"local-dir:{p}", None, _checkpoint_in_dir(p)
    if p.is_file():
        if not (p.parent / "open_clip_config.json").exists():
            raise UsageError(f"{p}: an open_clip checkpoint needs its architecture",
                             hint=f"use openclip:ARCH:{p} or put open_clip_config.json beside it")
        return f"local-dir:{p.parent}", None, str(p)
    if spec.startswith("hf-hub:"):
        return spec, None, None
    if ":" in spec:
        arch, tag = spec.split(":", 1)
        if Path(tag).expanduser().is_file():
            return arch, str(Path(tag).expanduser()), str(Path(tag).expanduser())
        if tag.startswith(("/", ".", "~")):
            raise ModelMissingError(f"checkpoint {tag!r} does not exist", hint="check the path")
        return arch, tag, None
    raise UsageError(f"open_clip backbone {spec!r} needs a pretrained tag",
                     hint="e.g. openclip:ViT-B-32:laion2b_s34b_b79k, openclip:hf-hub:ORG/NAME or a checkpoint path")


def _checkpoint_in_dir(folder: Path) -> str | None:
    for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"):
        if (folder / name).is_file():
            return str(folder / name)
    found = sorted(f for f in folder.iterdir() if f.suffix in CHECKPOINT_SUFFIXES)
    return str(found[0]) if found else None


def _hub_file(repo_id: str, filenames: Sequence[str]) -> str | None:
    """The first of ``filenames`` found in the local HF cache for ``repo_id`` (no download)."""
    from huggingface_hub import try_to_load_from_cache

    for name in filenames:
        path = try_to_load_from_cache(repo_id, name, cache_dir=hf_cache_dir())
        if isinstance(path, str) and os.path.isfile(path):
            return path
    return None


def local_checkpoint(spec: str) -> str | None:
    """Where this model's weights lie on disk, or None; never downloads."""
    open_clip = _import_open_clip()
    model_name, pretrained, known = parse_spec(spec)
    if known:
        return known
    weight_names = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
    if model_name.startswith("hf-hub:"):
        return _hub_file(model_name[len("hf-hub:"):], weight_names)
    cfg = open_clip.get_pretrained_cfg(model_name, pretrained or "")
    if not cfg:
        return None
    hub = cfg.get("hf_hub", "").strip("/")
    if hub:
        parts = hub.split("/")  # "org/name" or "org/name/file"
        repo_id, filename = "/".join(parts[:2]), "/".join(parts[2:])
        names = [filename] if filename else list(weight_names)
        if filename.endswith((".bin", ".pth")):
            names.insert(0, filename.rsplit(".", 1)[0] + ".safetensors")
        return _hub_file(repo_id, names)
    url = cfg.get("url", "")
    if url:
        target = Path(os.path.expanduser("~/.cache/clip")) / os.path.basename(url)
        return str(target) if target.is_file() else None
    return None


class OpenClipBackbone(ClipStyleBackbone):
    """An open_clip model, its validation transform and its tokenizer."""

    def __init__(self, model, preprocess, tokenizer, name: str, fingerprint: str, device: str = "cpu"):
        super().__init__(model, name, fingerprint, device, sigmoid=getattr(model, "logit_bias", None) is not None)
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        size = getattr(model.visual, "image_size", 224)
        self.input_size = int(size[0] if isinstance(size, (tuple, list)) else size)
        with _no_grad():
            self.dim = int(model.encode_text(tokenizer(["a"]).to(device)).shape[-1])

    @classmethod
    def load(cls, spec: str, device: str = "cpu", name: str | None = None) -> OpenClipBackbone:
        open_clip = _import_open_clip()
        model_name, pretrained, ckpt = parse_spec(spec)
        if model_name.startswith("local-dir:") and ckpt is None:
            raise ModelFileError("no checkpoint in the folder", path=model_name[len("local-dir:"):])
        if not model_name.startswith(("local-dir:", "hf-hub:")):
            if model_name not in open_clip.list_models():
                raise UsageError(f"unknown open_clip architecture {model_name!r}",
                                 hint="see open_clip.list_models()")
            if ckpt is None and not open_clip.get_pretrained_cfg(model_name, pretrained or ""):
                tags = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)[:6])
                raise UsageError(f"unknown pretrained tag {pretrained!r} for {model_name}", hint=f"known: {tags}")
        if ckpt is None:
            ckpt = local_checkpoint(spec)
        label = name or f"openclip:{spec}"
        if ckpt is None and hf_offline():
            raise ModelMissingError(f"backbone {label!r} is not available", hint=missing_hint(label))
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                model_name, pretrained=pretrained, device=device, cache_dir=str(hf_cache_dir()), weights_only=True)
            tokenizer = open_clip.get_tokenizer(model_name, cache_dir=str(hf_cache_dir()))
        except (OSError, RuntimeError, ValueError) as exc:
            if ckpt is None:
                raise ModelMissingError(f"backbone {label!r} could not be loaded or downloaded",
                                        hint=missing_hint(label)) from exc
            raise ModelFileError(f"cannot load open_clip model: {str(exc).splitlines()[0]}", path=ckpt) from exc
        model.eval()
        if ckpt is None:  # downloaded just now
            ckpt = local_checkpoint(spec)
        digest = weights_digest([ckpt]) if ckpt else "unknown"
        arch = model_name.split(":", 1)[-1] if model_name.startswith("hf-hub:") else Path(model_name).name
        fingerprint = f"openclip-{short_hash(arch, 6)}-{digest}-{short_hash(repr(preprocess), 8)}"
        return cls(model, preprocess, tokenizer, label, fingerprint, device)

    def _encode_frames_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        import torch
        from PIL import Image  # present wherever torchvision is

        x = torch.stack([self.preprocess(Image.fromarray(np.asarray(im))) for im in images]).to(self.device)
        return self.model.encode_image(x).float().cpu().numpy()

    def _encode_texts_batch(self, texts: Sequence[str]) -> np.ndarray:
        tokens = self.tokenizer(list(texts)).to(self.device)  # truncates to the context length
        return self.model.encode_text(tokens).float().cpu().numpy()


def _no_grad():
    import torch

    return torch.inference_mode()
