"""Observations `caption` and `ask` share: vocabulary concepts, faces, sounds and speech of one clip.

Each observation is computed once and kept in the extractor's on-disk cache (keyed by the file's
content and the model), so a second caption or a second question on the same clip decodes nothing:

* concepts: the built-in vocabularies (objects, actions, scenes) embedded once with one template
  (``"a video of {}."``, the reference template of tasks/scene.py; the 927 texts serve at once as the
  words to choose from and as the reference crowd their z-scores are measured against);
* faces: the most faces seen in one sampled frame, per frame (YuNet), the evidence for "a person",
  "two people", "a group of people" and for ``how many`` questions (ImageNet has no person class, so
  the embedded ConSE backbone cannot say "person" reliably; a face detector can);
* sounds: YAMNet scores per 0.975 s window;
* speech: the transcript (vidmm.tasks.transcribe, which caches itself).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cache import make_key
from ..labels import LabelSet, vocab
from .zeroshot import label_vectors, pool

#: The template every concept is embedded with (one, so 927 texts embed in seconds, not minutes).
CONCEPT_TEMPLATES = ("a video of {}.",)
#: The objects vocabulary lists its animate subjects first, up to and including this entry.
LAST_SUBJECT = "cartoon animal"
#: Faces smaller than this share of the frame height are background (audience) faces: they count for
#: "a group of people" but not as the clip's subject.
MAIN_FACE_MIN_HEIGHT = 0.08
FACES_VERSION = "faces-v1"
SOUNDS_VERSION = "yamnet-v1"
#: Frame short side for face detection (tasks/emotion.py: faces of ~20 px and more are found at 360).
FACE_FRAME_SIZE = 360


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


@dataclass
class FaceCounts:
    times: np.ndarray  # (N,) seconds of the sampled frames
    total: np.ndarray  # (N,) faces found in each frame
    main: np.ndarray  # (N,) faces at least MAIN_FACE_MIN_HEIGHT of the frame tall

    def in_range(self, a: float, b: float) -> np.ndarray:
        m = (self.times >= a) & (self.times < max(b, a + 1e-6))
        if not m.any() and len(self.times):
            m = np.zeros(len(self.times), bool)
            m[int(np.argmin(np.abs(self.times - (a + b) / 2)))] = True
        return m


def face_counts(path: str, extractor, detector) -> FaceCounts:
    """Faces per sampled frame (the extractor's default sampling, so frames match the embeddings)."""
    sampling = extractor.sampling_for(path)
    key = make_key(FACES_VERSION, extractor.identity(path), getattr(detector, "name", "det"), sampling.key(),
                   FACE_FRAME_SIZE)
    hit = extractor.cache.get("faces", key)
    if hit is not None:
        a = hit[0]
        return FaceCounts(a["times"], a["total"], a["main"])
    frames = extractor.frames(path, sampling, size=FACE_FRAME_SIZE)
    times, total, main = [], [], []
    for f in frames:
        faces = detector.detect(f.image)
        h = f.image.shape[0]
        times.append(f.seconds)
        total.append(len(faces))
        main.append(sum(1 for x in faces if x.height >= MAIN_FACE_MIN_HEIGHT * h))
    out = FaceCounts(np.array(times, np.float64), np.array(total, np.int32), np.array(main, np.int32))
    extractor.cache.put("faces", key, {"times": out.times, "total": out.total, "main": out.main})
    return out


@dataclass
class Sounds:
    times: np.ndarray  # (T,) window starts
    scores: np.ndarray  # (T, 521)
    class_names: list[str]
    window_s: float = 0.975

    def mean(self, a: float, b: float) -> np.ndarray:
        """Mean score per class over the windows overlapping [a, b)."""
        if not len(self.times):
            return np.zeros(len(self.class_names), np.float32)
        m = (self.times + self.window_s > a) & (self.times < b)
        if not m.any():
            m = np.zeros(len(self.times), bool)
            m[int(np.argmin(np.abs(self.times - a)))] = True
        return self.scores[m].mean(axis=0)


def sounds(path: str, extractor, yamnet) -> Sounds | None:
    """YAMNet scores of the clip's audio (cached), None without an audio track."""
    if not extractor.probe(path).has_audio:
        return None
    key = make_key(SOUNDS_VERSION, extractor.identity(path))
    hit = extractor.cache.get("sounds", key)
    if hit is not None:
        return Sounds(hit[0]["times"], hit[0]["scores"], list(yamnet.class_names))
    samples = extractor.audio(path)
    if samples is None:
        return None
    ev = yamnet.events(samples)
    extractor.cache.put("sounds", key, {"times": ev.times, "scores": ev.scores.astype(np.float16)})
    return Sounds(ev.times, ev.scores, list(ev.class_names), ev.window_s)


def transcript(path: str, extractor, speech_model):
    """The clip's transcript (cached by tasks/transcribe), or None without an audio track."""
    if speech_model is None or not extractor.probe(path).has_audio:
        return None
    from .transcribe import transcribe

    cache = extractor.cache if getattr(extractor.cache, "enabled", False) else None
    return transcribe(path, speech_model, cache=cache)


def snippet(text: str, max_words: int = 14) -> str:
    """At most ``max_words`` words of ``text``, with an ellipsis when cut."""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    return " ".join(words[:max_words]).rstrip(",;:") + "..."
