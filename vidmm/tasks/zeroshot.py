"""Zero-shot scoring shared by `scene` and `search`: label texts in, pooled frame-label similarities out.

Frames of one shot are pooled two ways, neither needs training:

* mean pooling: the mean of the frame vectors, compared with each label;
* attention pooling by label similarity (the design's "cross-modal attention"): for label j every frame
  gets the weight softmax_i(ATTN_SCALE * cos(frame_i, label_j)), so frames that look like the label
  dominate its pooled vector. A label that is visible in one frame out of six is not averaged away.

The two similarities are mixed (``MIX``) into one score per label. ``ATTN_SCALE`` and ``MIX`` were chosen
on the labelled clips of ../shared/media (``benchmarks/scene.py --calibrate``; numbers in tasks/scene.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..cache import make_key
from ..labels import LabelSet

#: Sharpness of the attention over frames (on cosine similarities).
ATTN_SCALE = 20.0
#: Weight of the attention-pooled similarity against the mean-pooled one.
MIX = 0.5
#: Version of the label-embedding cache entries.
LABELS_VERSION = "labels-v1"


@dataclass
class Pooled:
    """Similarities of one group of frames to every label."""

    score: np.ndarray  # (M,) mixed pooled similarity per label
    frame_sim: np.ndarray  # (n, M) cosine of each frame to each label
    attention: np.ndarray  # (n, M) attention weight of each frame for each label (columns sum to 1)


def label_vectors(backbone, labels: LabelSet, cache=None, templates: Sequence[str] | None = None) -> np.ndarray:
    """(M, D) unit vectors of the label texts (prompt ensemble): ready-made when the backbone ships them (the
    default's built-in vocabulary, models/backbones/conse_tables.py), else embedded and kept in the on-disk
    cache when given, so a second run does not pay it."""
    templates = tuple(templates) if templates else tuple(backbone.templates)
    known = backbone.known_label_vectors(labels.texts, templates)
    if known is not None:  # shipped with the package (the default's vocabulary): no embedding, no cache
        return known
    key = make_key(LABELS_VERSION, backbone.fingerprint, labels.key, "\x1d".join(templates))
    if cache is None:
        return backbone.encode_labels(list(labels.texts), templates).astype(np.float32)
    vecs = _cached_labels(cache, key, len(labels))
    if vecs is not None:
        return vecs
    with cache.lock("labels", key):  # N batch workers on a cold cache: one embeds, the others wait and read
        vecs = _cached_labels(cache, key, len(labels))
        if vecs is None:
            vecs = backbone.encode_labels(list(labels.texts), templates).astype(np.float32)
            cache.put("labels", key, {"vectors": vecs}, {"source": labels.source, "n": len(labels)})
    return vecs


def _cached_labels(cache, key: str, n: int) -> np.ndarray | None:
    hit = cache.get("labels", key)
    return hit[0]["vectors"] if hit is not None and hit[0]["vectors"].shape[0] == n else None


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def pool(frames: np.ndarray, labels: np.ndarray, attn_scale: float = ATTN_SCALE, mix: float = MIX) -> Pooled:
    """Pool ``frames`` (n, D unit rows) against ``labels`` (M, D unit rows); see the module doc."""
    frames = np.asarray(frames, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.float32)
    sim = frames @ labels.T  # (n, M)
    mean_score = _unit(frames.mean(axis=0)) @ labels.T  # (M,)
    z = attn_scale * sim
    att = np.exp(z - z.max(axis=0, keepdims=True))
    att /= att.sum(axis=0, keepdims=True)
    pooled = _unit(att.T @ frames)  # (M, D): one pooled vector per label
    attn_score = np.einsum("md,md->m", pooled, labels)
    return Pooled((1.0 - mix) * mean_score + mix * attn_score, sim, att)


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    z = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def pool_groups(frames: np.ndarray, groups: np.ndarray, n_groups: int, query: np.ndarray,
                attn_scale: float = ATTN_SCALE, mix: float = MIX) -> np.ndarray:
    """`pool` for one query over many groups of frames at once (the shots or clips of a search index).

    ``groups[i]`` is the group of frame i (0..n_groups-1); returns the (n_groups,) mixed pooled scores
    (groups without frames get -inf). Equal to ``pool(frames[groups == g], query[None]).score[0]``."""
    frames = np.asarray(frames, dtype=np.float32)
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    groups = np.asarray(groups, dtype=np.int64)
    sim = frames @ query  # (n,)
    z = attn_scale * sim
    if groups.size and np.all(np.diff(groups) >= 0):
        # Frames grouped contiguously (a search index is): segment sums with reduceat, 10x faster than add.at.
        present, starts = np.unique(groups, return_index=True)
        zmax = np.full(n_groups, -np.inf)
        zmax[present] = np.maximum.reduceat(z, starts)
        w = np.exp(z - zmax[groups])[:, None]
        sums = np.zeros((n_groups, frames.shape[1]), np.float32)
        wsum = np.zeros_like(sums)
        sums[present] = np.add.reduceat(frames, starts, axis=0)
        wsum[present] = np.add.reduceat(frames * w, starts, axis=0)
    else:
        zmax = np.full(n_groups, -np.inf)
        np.maximum.at(zmax, groups, z)
        w = np.exp(z - zmax[groups])[:, None]
        sums = np.zeros((n_groups, frames.shape[1]), np.float32)
        wsum = np.zeros_like(sums)
        np.add.at(sums, groups, frames)
        np.add.at(wsum, groups, frames * w)
    mean_score = _unit(sums) @ query
    attn_score = _unit(wsum) @ query  # the normalisation of the weights cancels in the unit vector
    out = ((1.0 - mix) * mean_score + mix * attn_score).astype(np.float32)
    counts = np.bincount(groups, minlength=n_groups)
    out[counts == 0] = -np.inf
    return out
