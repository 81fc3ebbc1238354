"""Model-derived tables of the embedded default backbone, shipped with the package instead of built per machine.

The default backbone maps images through the MiniLM embeddings of the 1000 ImageNet class texts, and every
zero-shot task embeds the built-in vocabulary (927 labels, with the 4-prompt ensemble for scene's labels and
with one prompt for its "none of these" reference and caption's and ask's concepts). These depend on the
model, not on any file: embedding them took 15-30 s on the first run of a machine, and ``--no-cache``
embedded the vocabulary again on every run. So they ship as float16 in ``vidmm/data/conse_tables.npz``
(2.2 MB), rebuilt from the model by ``python scripts/build_conse_tables.py`` and checked against the model by
tests/test_backbones_conse.py (max abs difference, float16 rounding only). The JSON beside it names the
text model's weights, the class texts, the vocabulary and the prompts they were built from: when any of
these differs from what is installed, the tables are not used and the old path (embed once, cache on disk)
runs instead.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import DEFAULT_TEMPLATES

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TABLES = DATA_DIR / "conse_tables.npz"
META = DATA_DIR / "conse_tables.json"
#: The prompt ensembles shipped for the vocabulary: scene's labels (the backbone's templates) and the one
#: template of scene's reference crowd and of caption's and ask's concepts.
ENSEMBLES = {"vocab4": tuple(DEFAULT_TEMPLATES), "vocab1": ("a video of {}.",)}
#: The vocabulary the tables hold (vidmm.labels).
VOCAB = "all"


def _digest(texts) -> str:
    return hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:16]


@dataclass
class Tables:
    """The class-text vectors, and per ensemble the vocabulary's label vectors by label text."""

    classes: np.ndarray  # (1000, D) float32
    labels: dict[tuple[str, ...], tuple[dict[str, int], np.ndarray]]

    def label_vectors(self, texts, templates) -> np.ndarray | None:
        """(M, D) rows for ``texts`` embedded with the ensemble ``templates``, or None unless all are here."""
        found = self.labels.get(tuple(templates))
        if found is None:
            return None
        rows, vectors = found
        idx = [rows.get(t) for t in texts]
        return None if any(i is None for i in idx) else vectors[idx]


def expected_meta(text_weights: str, class_texts: list[str], conse_version: str) -> dict:
    """What the tables must have been built from to serve this installation."""
    from ...labels import vocab

    return {"text_weights": text_weights, "conse_version": conse_version, "classes": _digest(class_texts),
            "vocab": _digest(vocab(VOCAB).texts), "ensembles": {k: list(v) for k, v in ENSEMBLES.items()}}


_loaded: dict[str, Tables | None] = {}
_lock = threading.Lock()


def load(text_weights: str, class_texts: list[str], conse_version: str) -> Tables | None:
    """The shipped tables, or None when missing or built from another model, texts or prompts (then the
    backbone embeds what it needs itself). Read once per process."""
    from ...labels import vocab

    want = expected_meta(text_weights, class_texts, conse_version)
    key = json.dumps(want, sort_keys=True)
    with _lock:
        if key not in _loaded:
            _loaded[key] = None
            try:
                meta = json.loads(META.read_text(encoding="utf-8"))
                if {k: meta.get(k) for k in want} == want:
                    with np.load(TABLES, allow_pickle=False) as z:
                        arrays = {k: z[k].astype(np.float32) for k in ("classes", *ENSEMBLES)}
                    texts = vocab(VOCAB).texts
                    rows = {t: i for i, t in enumerate(texts)}
                    _loaded[key] = Tables(arrays["classes"], {ENSEMBLES[k]: (rows, arrays[k]) for k in ENSEMBLES})
            except (OSError, ValueError, KeyError):
                pass
        return _loaded[key]


def build(backbone) -> tuple[dict[str, np.ndarray], dict]:
    """Embed every table with the backbone's own text model (what the backbone computes without them)."""
    from ...labels import vocab

    texts = list(vocab(VOCAB).texts)
    arrays = {"classes": backbone._embed_class_texts()}
    for name, templates in ENSEMBLES.items():
        arrays[name] = backbone.encode_labels(texts, templates)
    meta = expected_meta(backbone.text_weights_digest, backbone.class_texts, backbone.conse_version)
    return {k: v.astype(np.float16) for k, v in arrays.items()}, meta


def write(arrays: dict[str, np.ndarray], meta: dict, tables: Path = TABLES, meta_path: Path = META) -> None:
    from ...fileio import atomic_write, atomic_write_text

    atomic_write(tables, lambda f: np.savez_compressed(f, **arrays))
    atomic_write_text(meta_path, json.dumps(meta, indent=1) + "\n")
