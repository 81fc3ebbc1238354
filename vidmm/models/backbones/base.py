"""The one interface every backbone offers: frames and texts in, unit vectors of one joint space out.

Tasks compare these vectors (cosine = dot product) and never care which model made them. Concrete
backbones implement `_encode_frames_batch` and `_encode_texts_batch`; batching, normalisation,
`torch.inference_mode`, thread count and the text-embedding LRU live here once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...cache import default_root
from ...fileio import atomic_write, atomic_write_text, sha256_file
from ...threads import budget

#: Prompt templates for labels; the label is averaged over all of them (a prompt ensemble). Chosen on
#: the labelled clips for the embedded default (no CIFAR-10 here to check on); CLIP backbones use the same set.
DEFAULT_TEMPLATES: tuple[str, ...] = (
    "{}",
    "a photo of {}.",
    "a video of {}.",
    "a picture showing {}.",
)

_threads_set = False
_threads_lock = threading.Lock()


def set_torch_threads(n: int | None = None) -> None:
    """Set torch's intra-op thread count once per process (default: vidmm.threads.budget()).

    Setting it repeatedly is costly and, after parallel work has started, not allowed; so only the first
    call does anything."""
    global _threads_set
    with _threads_lock:
        if _threads_set:
            return
        import torch

        torch.set_num_threads(max(1, n or budget()))
        _threads_set = True


def l2_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unit vectors along ``axis``; zero vectors stay zero instead of becoming NaN."""
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=axis, keepdims=True)
    return (x / np.maximum(n, 1e-12)).astype(np.float32, copy=False)


def short_hash(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def save_npy_atomic(path: Path, array: np.ndarray) -> None:
    """Write beside the target and rename, so a killed writer never leaves a half file under the name."""
    atomic_write(path, lambda f: np.save(f, array, allow_pickle=False))


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def weights_digest(paths: Sequence[str | os.PathLike], n: int = 12) -> str:
    """A short hash naming the exact weights, for fingerprints.

    Hashing a 600 MB file on every load would cost seconds, so: a file in the Hugging Face cache is a link to
    a blob named by its SHA-256 (used as is); any other file's SHA-256 is remembered in
    ``<cache dir>/weights-sha256.json`` keyed by path, size and mtime."""
    memo_path = default_root() / "weights-sha256.json"
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
        memo = memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        memo = {}
    digests, changed = [], False
    for p in paths:
        real = os.path.realpath(p)
        base = os.path.basename(real)
        if _HEX64.match(base):
            digests.append(base)
            continue
        st = os.stat(real)
        key = f"{real}|{st.st_size}|{st.st_mtime_ns}"
        if key not in memo:
            memo[key] = sha256_file(real)
            changed = True
        digests.append(memo[key])
    if changed:
        with contextlib.suppress(OSError):
            atomic_write_text(memo_path, json.dumps(memo))
    return short_hash("|".join(digests), n)


class Backbone(ABC):
    """A joint image-text embedding model.

    Attributes every backbone sets:
      ``name``          what the user typed to get it (after alias resolution)
      ``fingerprint``   name + weights hash + preprocessing version: changes whenever embeddings would;
                        it keys the embedding cache
      ``dim``           embedding size
      ``input_size``    image side the model sees
      ``logit_scale``   multiply cosine similarities by this before a softmax over labels (CLIP: its learned
                        scale; the embedded default: a measured temperature)
      ``logit_bias``    added after scaling (SigLIP's learned bias; 0 otherwise)
      ``sigmoid``       True when the model was trained with per-pair sigmoid scores (SigLIP), so
                        ``sigmoid(scale * cos + bias)`` is a calibrated probability for each label alone
      ``templates``     the prompt ensemble `encode_labels` uses by default
    """

    name: str = "backbone"
    fingerprint: str = ""
    dim: int = 0
    input_size: int = 224
    logit_scale: float = 100.0
    logit_bias: float = 0.0
    sigmoid: bool = False
    templates: tuple[str, ...] = DEFAULT_TEMPLATES
    frame_batch_size: int = 16
    text_batch_size: int = 64
    text_cache_size: int = 4096
    device: str = "cpu"

    def __init__(self, loads_torch_now: bool = True) -> None:
        if loads_torch_now:  # before the subclass runs any torch op: changing it afterwards can stall
            set_torch_threads()
        self._text_lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lru_lock = threading.Lock()

    # -- what subclasses implement -------------------------------------------------------------------
    @abstractmethod
    def _encode_frames_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """One batch of RGB uint8 images -> (n, dim) float array (need not be normalised)."""

    @abstractmethod
    def _encode_texts_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One batch of texts -> (n, dim) float array (need not be normalised)."""

    # -- the public interface ------------------------------------------------------------------------
    def encode_frames(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """RGB uint8 HxWx3 images -> (N, dim) float32 unit vectors, in the order given."""
        import torch

        images = list(images)
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        for im in images:
            a = np.asarray(im)
            if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8:
                raise ValueError(f"encode_frames wants HxWx3 uint8 RGB arrays, got {a.dtype} {a.shape}")
        set_torch_threads()
        out = []
        with torch.inference_mode():
            for i in range(0, len(images), self.frame_batch_size):
                out.append(np.asarray(self._encode_frames_batch(images[i : i + self.frame_batch_size])))
        return l2_normalize(np.concatenate(out).astype(np.float32))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (M, dim) float32 unit vectors. Repeated texts come from an in-memory LRU."""
        import torch

        if isinstance(texts, str):
            texts = [texts]
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lru_lock:
            known = {t: self._text_lru[t] for t in texts if t in self._text_lru}
            for t in known:
                self._text_lru.move_to_end(t)
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            set_torch_threads()
            with torch.inference_mode():
                for i in range(0, len(todo), self.text_batch_size):
                    chunk = todo[i : i + self.text_batch_size]
                    vecs = l2_normalize(np.asarray(self._encode_texts_batch(chunk), dtype=np.float32))
                    known.update(zip(chunk, vecs, strict=True))
            with self._lru_lock:
                for t in todo:
                    self._text_lru[t] = known[t]
                    self._text_lru.move_to_end(t)
                while len(self._text_lru) > self.text_cache_size:
                    self._text_lru.popitem(last=False)
        return np.stack([known[t] for t in texts]).astype(np.float32)

    def encode_labels(self, labels: Sequence[str], templates: Sequence[str] | None = None) -> np.ndarray:
        """Labels -> (M, dim) unit vectors: each label is put into every template, the template vectors
        are averaged, and the mean is renormalised (CLIP's prompt ensembling)."""
        labels = [labels] if isinstance(labels, str) else list(labels)
        templates = tuple(templates) if templates else self.templates
        if not labels:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [t.format(label) if "{}" in t else f"{t} {label}" for label in labels for t in templates]
        vecs = self.encode_texts(texts).reshape(len(labels), len(templates), -1)
        return l2_normalize(vecs.mean(axis=1))

    def known_label_vectors(self, texts: Sequence[str], templates: Sequence[str]) -> np.ndarray | None:
        """Label vectors this backbone ships ready-made (the default's built-in vocabulary), or None: then
        `encode_labels` embeds them."""
        return None

    def similarity_logits(self, frame_vecs: np.ndarray, text_vecs: np.ndarray) -> np.ndarray:
        """(N, M) logits ``logit_scale * cos + logit_bias``: softmax over labels, or sigmoid when `sigmoid`."""
        return (self.logit_scale * (np.asarray(frame_vecs) @ np.asarray(text_vecs).T) + self.logit_bias).astype(
            np.float32
        )

    def info(self) -> dict:
        """What `vidmm models list` and result JSON show about this backbone."""
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "dim": self.dim,
            "input_size": self.input_size,
            "device": self.device,
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} dim={self.dim} fp={self.fingerprint}>"


class ClipStyleBackbone(Backbone):
    """A contrastive image-text model with a learned logit scale (transformers CLIP/SigLIP, open_clip): the
    identity and logit calibration all of them take from the model the same way. ``sigmoid``: trained with
    the per-pair sigmoid loss, so the model also has a learned ``logit_bias``."""

    def __init__(self, model, name: str, fingerprint: str, device: str = "cpu", sigmoid: bool = False):
        super().__init__()
        self.model = model
        self.name = name
        self.fingerprint = fingerprint
        self.device = device
        self.logit_scale = float(model.logit_scale.exp().item())
        self.sigmoid = sigmoid
        self.logit_bias = float(model.logit_bias.item()) if sigmoid else 0.0
