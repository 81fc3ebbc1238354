"""CLIP and SigLIP through transformers: the recommended backbones wherever their weights exist.

A Hugging Face hub id (looked up in the local HF cache; downloaded only when online) or a folder written by
``save_pretrained``. ``config.json``'s ``model_type`` picks CLIPModel or SiglipModel. Image preprocessing is
read from ``preprocessor_config.json`` and done in torch (see imageprep.py), so no PIL or torchvision is
needed; the tokenizer comes from the same folder.

SigLIP is trained with a per-pair sigmoid loss: ``sigmoid(logit_scale * cos + logit_bias)`` is a probability
for each label on its own, so the backbone sets ``sigmoid = True`` and exposes ``logit_bias``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import ModelFileError, ModelMissingError
from .base import ClipStyleBackbone, short_hash, weights_digest
from .imageprep import ImagePrep

SUPPORTED_TYPES = ("clip", "siglip")
#: Files a CLIP/SigLIP folder needs; what is fetched from the hub when online.
HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "tokenizer*"]
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def hf_offline() -> bool:
    """HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set to a true value: local files only, never download."""
    return any(os.environ.get(k, "").strip().lower() in ("1", "true", "yes", "on")
               for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hf_cache_dir() -> Path:
    """The HF hub cache as the environment says now (HF_HUB_CACHE > HF_HOME/hub > ~/.cache/huggingface/hub).

    Read at call time rather than from huggingface_hub's import-time constants, so a changed env counts."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface")
    return Path(home).expanduser() / "hub"


def missing_hint(name: str) -> str:
    return (f"not in the Hugging Face cache; run `vidmm models pull {name}` on a machine with network, "
            "or pass a local folder")


def local_model_dir(name_or_path: str) -> Path | None:
    """The folder holding this model if it is on disk (a folder path, or a complete HF cache snapshot)."""
    p = Path(name_or_path).expanduser()
    if p.is_dir():
        return p
    try:
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(repo_id=name_or_path, cache_dir=hf_cache_dir(), local_files_only=True,
                                        allow_patterns=HUB_PATTERNS))
    except Exception:  # noqa: BLE001 - any failure here means "not available locally"
        return None
    return folder if (folder / "config.json").exists() else None


def fetch_model_dir(name: str) -> Path:
    """Local folder for ``name``; downloads into the HF cache only when online. ModelMissingError otherwise."""
    folder = local_model_dir(name)
    if folder is not None:
        return folder
    if hf_offline() or Path(name).expanduser().is_absolute() or name.startswith("."):
        raise ModelMissingError(f"backbone {name!r} is not available", hint=missing_hint(name))
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=name, cache_dir=hf_cache_dir(), allow_patterns=HUB_PATTERNS))
    except Exception as exc:  # noqa: BLE001 - network, auth, unknown repo: all mean "missing here"
        raise ModelMissingError(f"backbone {name!r} could not be downloaded ({type(exc).__name__})",
                                hint=missing_hint(name)) from exc


def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


class HFClipBackbone(ClipStyleBackbone):
    """transformers CLIPModel or SiglipModel behind the Backbone interface."""

    def __init__(self, model, tokenizer, prep: ImagePrep, model_type: str, text_max_len: int, name: str,
                 fingerprint: str, device: str = "cpu"):
        super().__init__(model, name, fingerprint, device, sigmoid=model_type == "siglip")
        self.tokenizer = tokenizer
        self.prep = prep
        self.model_type = model_type
        self.text_max_len = text_max_len
        self.input_size = prep.crop
        self.dim = int(model.config.projection_dim) if model_type == "clip" else int(
            model.config.text_config.hidden_size)

    @classmethod
    def load(cls, name_or_path: str, device: str = "cpu", name: str | None = None) -> HFClipBackbone:
        folder = fetch_model_dir(name_or_path)
        try:
            cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"no readable config.json in {folder}", hint="is this a saved transformers model?"
                                 ) from exc
        model_type = cfg.get("model_type", "")
        if model_type not in SUPPORTED_TYPES:
            raise ModelFileError(f"model_type {model_type!r} is not a CLIP-style model", path=str(folder),
                                 hint=f"supported: {', '.join(SUPPORTED_TYPES)}")
        _quiet_transformers()
        from transformers import AutoTokenizer, CLIPModel, SiglipModel

        model_cls = CLIPModel if model_type == "clip" else SiglipModel
        try:
            model = model_cls.from_pretrained(str(folder), local_files_only=True).eval().to(device)
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        except ImportError as exc:  # e.g. SigLIP's SentencePiece tokenizer without the sentencepiece package
            raise ModelFileError(f"cannot load the {model_type} tokenizer: {exc}".splitlines()[0], path=str(folder),
                                 hint="pip install sentencepiece") from exc
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"cannot load {model_type} model: {exc}".splitlines()[0], path=str(folder)) from exc
        image_size = int(model.config.vision_config.image_size)
        prep_file = folder / "preprocessor_config.json"
        if prep_file.exists():
            prep = ImagePrep.from_hf_config(json.loads(prep_file.read_text(encoding="utf-8")), image_size)
        elif model_type == "clip":
            prep = ImagePrep(crop=image_size, shortest_edge=image_size, mode="bicubic", mean=OPENAI_MEAN,
                             std=OPENAI_STD)
        else:
            prep = ImagePrep(crop=image_size, shortest_edge=None, resize_hw=(image_size, image_size),
                             mode="bilinear")
        text_max_len = int(model.config.text_config.max_position_embeddings)
        weights = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("pytorch_model*.bin"))
        if not weights:
            raise ModelFileError("no weights file (*.safetensors)", path=str(folder))
        digest = weights_digest(weights)
        fingerprint = f"hf-{model_type}-{digest}-{short_hash(prep.key() + f'|t{text_max_len}', 8)}"
        return cls(model, tokenizer, prep, model_type, text_max_len, name or name_or_path, fingerprint, device)

    def _encode_frames_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        x = self.prep(images, self.device)
        return _features(self.model.get_image_features(pixel_values=x))

    def _encode_texts_batch(self, texts: Sequence[str]) -> np.ndarray:
        # SigLIP was trained on texts padded to the full length; CLIP pads to the longest in the batch.
        padding = "max_length" if self.model_type == "siglip" else True
        enc = self.tokenizer(list(texts), padding=padding, truncation=True, max_length=self.text_max_len,
                             return_tensors="pt")
        enc = {k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
        if self.model_type == "siglip":
            enc.pop("attention_mask", None)
        return _features(self.model.get_text_features(**enc))

    def info(self) -> dict:
        d = super().info()
        d.update(model_type=self.model_type, logit_scale=self.logit_scale, logit_bias=self.logit_bias)
        return d


def _features(out) -> np.ndarray:
    """transformers >= 5 returns a ModelOutput whose pooler_output holds the projected features."""
    t = out if hasattr(out, "detach") else out.pooler_output
    return t.detach().float().cpu().numpy()
