"""Vocabulary concepts `caption` and `ask` share, and a helper to quote what is said.

* concepts: the built-in vocabularies (objects, actions, scenes) embedded once with one template
  (``"a video of {}."``, the reference template of tasks/scene.py; the 927 texts serve at once as the
  words to choose from and as the reference crowd their z-scores are measured against). The vectors
  are cached by `vidmm.tasks.zeroshot.label_vectors`.

Faces, sounds and speech are the extractor's evidence channels (vidmm/channels.py:
``extractor.faces``, ``.sounds``, ``.transcript``), shared with every other task.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..labels import LabelSet, vocab
from .zeroshot import label_vectors, pool

#: The template every concept is embedded with (one, so 927 texts embed in seconds, not minutes).
CONCEPT_TEMPLATES = ("a video of {}.",)
#: The objects vocabulary lists its animate subjects first, up to and including this entry.
LAST_SUBJECT = "cartoon animal"


@dataclass
class Concepts:
    """The three vocabularies and their vectors, plus the reference crowd (all of them together)."""

    subjects: LabelSet
    things: LabelSet
    actions: LabelSet
    scenes: LabelSet
    vectors: dict[str, np.ndarray]
    reference: np.ndarray
    rows: dict[str, list[int]]  # each kind's rows in the reference (pooling is per label, so they agree)

    @classmethod
    def build(cls, backbone, cache=None) -> Concepts:
        allv = vocab("all")
        ref = label_vectors(backbone, allv, cache, CONCEPT_TEMPLATES)
        index = {n: i for i, n in enumerate(allv.names)}
        objects = vocab("objects").names
        cut = objects.index(LAST_SUBJECT) + 1
        sets = {
            "subjects": LabelSet.of(objects[:cut], source="vocab:objects"),
            "things": LabelSet.of(objects[cut:], source="vocab:objects"),
            "actions": vocab("actions"),
            "scenes": vocab("scenes"),
        }
        rows = {k: [index[n] for n in s.names] for k, s in sets.items()}
        vectors = {k: ref[r] for k, r in rows.items()}
        return cls(sets["subjects"], sets["things"], sets["actions"], sets["scenes"], vectors, ref, rows)

    def labels(self, kind: str) -> LabelSet:
        return getattr(self, kind)

    def zscores(self, frames: np.ndarray, kind: str) -> np.ndarray:
        """Pooled similarity of each label of ``kind`` to the frames, as standard deviations above the
        reference crowd's mean on the same frames (the match_z of tasks/scene.py)."""
        return self.all_zscores(frames)[kind]

    def all_zscores(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """`zscores` of every kind at once (the crowd is pooled once: every kind's words are in it)."""
        ref = pool(frames, self.reference).score
        mu, sd = float(ref.mean()), max(float(ref.std()), 1e-6)
        return {k: (ref[rows] - mu) / sd for k, rows in self.rows.items()}


def _wide(text: str) -> bool:
    import unicodedata

    return any(unicodedata.east_asian_width(c) in "WF" for c in text)


def snippet(text: str, max_words: int = 14) -> str:
    """At most ``max_words`` words of ``text``, with an ellipsis when cut (text written without spaces,
    Chinese or Japanese: two characters a word)."""
    words = text.split()
    if len(words) == 1 and len(text.strip()) > 2 * max_words and _wide(text):
        return text.strip()[: 2 * max_words] + "..."
    if len(words) <= max_words:
        return " ".join(words)
    return " ".join(words[:max_words]).rstrip(",;:") + "..."
