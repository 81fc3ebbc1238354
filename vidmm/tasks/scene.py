"""Scene and action labels, zero-shot, per shot and for the whole clip.

    shots + frame embeddings (Extractor, cached) -> per shot: pool frames against the label texts
    (mean + attention by label similarity, see tasks/zeroshot.py) -> softmax at a calibrated temperature
    -> per-shot top-k; overall = duration-weighted mean of the shot distributions.

Scores sum to one over the label set, so they say which label fits *best*, not whether any fits. That is
the job of "none of these": the best label's pooled similarity is compared with the similarities of the
built-in vocabulary labels on the same frames (a z-score, ``match_z``); below a threshold that follows
the number of labels (``none_threshold``) the result says "none of these".

``sound_weight`` > 0 lets YAMNet's score for the classes a label is about (``SoundLabels``) join its
pooled score (off by default). A trained head (``head=``) replaces the zero-shot scoring; shots,
pooling, overall and output stay. How the temperature, the thresholds and the sound weight were
measured on the labelled clips, and the commands that reproduce them: docs/scene.md.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..labels import LabelSet, vocab
from .zeroshot import ATTN_SCALE, MIX, label_vectors, pool, softmax

#: Softmax scale over pooled cosine scores, per backbone name; measured for the default (module doc).
#: Backbones not listed use their own ``logit_scale`` (CLIP's learned scale).
CALIBRATED_SCALE = {"default": 11.0}
#: "None of these" z-score thresholds measured for 1 and for 13 labels (module doc).
NONE_Z_ONE = 0.88
NONE_Z_MANY = 1.40
NONE_Z_MANY_AT = 13
NONE_LABEL = "none of these"
#: Frames named by --explain for each label.
EXPLAIN_FRAMES = 3
#: The vocabulary "none of these" compares against, and the one template its labels are embedded with.
REFERENCE_VOCAB = "all"
REFERENCE_TEMPLATES = ("a video of {}.",)


#: Sound labels: a label whose text is this close (cosine, the backbone's text encoder) to a YAMNet class name
#: is about that sound; at most SOUND_CLASSES classes per label. AUDIO_WEIGHT times the class's mean YAMNet
#: score over the shot is added to the label's pooled score (measured: module doc).
SOUND_MATCH = 0.6
SOUND_CLASSES = 3
AUDIO_WEIGHT = 0.0
SOUND_TEMPLATES = None  # the backbone's own prompt templates, as for the labels


@dataclass
class SoundLabels:
    """Which labels are about a sound, and the YAMNet classes that stand for it."""

    classes: list[np.ndarray]  # per label: YAMNet class indices (empty: not about a sound)
    class_names: list[str]

    @classmethod
    def build(cls, backbone, labels: LabelSet, class_names, cache=None, match: float = SOUND_MATCH) -> SoundLabels:
        names = list(class_names)
        sound_vecs = label_vectors(backbone, LabelSet(tuple(names), tuple(names), "yamnet"), cache, SOUND_TEMPLATES)
        label_vecs = label_vectors(backbone, labels, cache, SOUND_TEMPLATES)
        classes = []
        for row in label_vecs @ sound_vecs.T:
            best = np.argsort(-row, kind="stable")[:SOUND_CLASSES]
            classes.append(best[row[best] >= match])
        return cls(classes, names)

    def matched(self, labels: LabelSet) -> dict[str, list[str]]:
        """{label: [YAMNet classes]} for the labels about a sound."""
        return {n: [self.class_names[i] for i in c] for n, c in zip(labels.names, self.classes) if c.size}

    def evidence(self, class_scores: np.ndarray) -> np.ndarray:
        """(M,) per label: the highest mean YAMNet score of its classes (0 for labels not about a sound)."""
        return np.array([float(class_scores[c].max()) if c.size else 0.0 for c in self.classes], np.float32)


class SceneHead(Protocol):
    """A trained head over a shot's frames and audio (`vidmm.fusion.TrainedHead` is one)."""

    labels: tuple[str, ...]
    name: str

    def extractor_for(self, extractor):  # the extractor sampling frames as the head was trained
        ...

    def predict_shot(self, path: str, extractor, frame_index: np.ndarray, start: float, end: float
                     ) -> np.ndarray:  # (M,) probabilities
        ...

    def explain_shot(self, path: str, extractor, frame_index: np.ndarray, start: float, end: float
                     ) -> tuple[np.ndarray, np.ndarray, dict]:  # probabilities, (n, M) frame weights, shares
        ...


@dataclass
class LabelScore:
    label: str
    score: float
    frames: list[float] | None = None  # --explain: times (s) of the frames that drove this label
    modalities: dict[str, float] | None = None  # --explain with a fusion head: each modality's share
    frame_weights: list[float] | None = None  # --explain with a fusion head: each of ``frames``' weight

    def to_dict(self) -> dict:
        d = {"label": self.label, "score": round(float(self.score), 4)}
        if self.frames is not None:
            d["frames"] = [round(t, 3) for t in self.frames]
        if self.frame_weights is not None:
            d["frame_weights"] = [round(w, 4) for w in self.frame_weights]
        if self.modalities is not None:
            d["modalities"] = self.modalities
        return d


@dataclass
class SceneSegment:
    start: float
    end: float
    labels: list[LabelScore]
    none_of_these: bool = False
    match_z: float | None = None  # how far the best label stands out from the reference vocabulary

    def to_dict(self) -> dict:
        d = {"start": round(self.start, 3), "end": round(self.end, 3),
             "labels": [x.to_dict() for x in self.labels], "none_of_these": self.none_of_these}
        if self.match_z is not None:
            d["match_z"] = round(self.match_z, 3)
        return d


@dataclass
class SceneResult:
    file: str
    duration: float | None
    labels: list[LabelScore]
    segments: list[SceneSegment]
    models: dict
    none_of_these: bool = False
    match_z: float | None = None
    elapsed_s: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def top(self) -> str:
        return NONE_LABEL if self.none_of_these else (self.labels[0].label if self.labels else NONE_LABEL)

    def to_dict(self) -> dict:
        from .. import __version__

        d = {"vidmm": __version__, "task": "scene", "file": self.file,
             "duration": None if self.duration is None else round(self.duration, 3),
             "models": self.models,
             "labels": [x.to_dict() for x in self.labels],
             "none_of_these": self.none_of_these}
        if self.match_z is not None:
            d["match_z"] = round(self.match_z, 3)
        d["segments"] = [s.to_dict() for s in self.segments]
        d.update(self.extra)
        d["elapsed_s"] = round(self.elapsed_s, 4)
        return d


def temperature_for(backbone) -> float:
    return CALIBRATED_SCALE.get(getattr(backbone, "name", ""), float(backbone.logit_scale))


def none_threshold(n_labels: int) -> float:
    """The z a label set's best label must reach; measured at 1 and 13 labels, log-linear between."""
    if n_labels <= 1:
        return NONE_Z_ONE
    f = min(math.log(n_labels) / math.log(NONE_Z_MANY_AT), 1.0)
    return NONE_Z_ONE + f * (NONE_Z_MANY - NONE_Z_ONE)


@dataclass
class Scorer:
    """Label and reference vectors for one backbone and label set: built once, used for every video."""

    backbone: object
    labels: LabelSet
    vectors: np.ndarray
    reference: np.ndarray | None
    scale: float
    sounds: SoundLabels | None = None

    @classmethod
    def build(cls, backbone, labels: LabelSet, cache=None, none_check: bool = True) -> Scorer:
        vecs = label_vectors(backbone, labels, cache)
        ref = label_vectors(backbone, vocab(REFERENCE_VOCAB), cache, REFERENCE_TEMPLATES) if none_check else None
        return cls(backbone, labels, vecs, ref, temperature_for(backbone))

    def sound_labels(self, yamnet, cache=None) -> SoundLabels:
        """Which of the labels are about a sound (built on first use, then kept)."""
        if self.sounds is None:
            self.sounds = SoundLabels.build(self.backbone, self.labels, yamnet.class_names, cache)
        return self.sounds

    def score(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """(probabilities (M,), pooled scores (M,), pooled reference scores or None, attention (n, M))."""
        p = pool(frames, self.vectors, ATTN_SCALE, MIX)
        ref = None if self.reference is None else pool(frames, self.reference, ATTN_SCALE, MIX).score
        return softmax(self.scale * p.score), p.score, ref, p.attention


def match_z(scores: np.ndarray, reference: np.ndarray | None) -> float | None:
    """How many standard deviations the best label lies above the reference vocabulary's mean score."""
    if reference is None:
        return None
    return float((scores.max() - reference.mean()) / max(float(reference.std()), 1e-6))


def _top(names, probs: np.ndarray, k: int, explain_frames=None) -> list[LabelScore]:
    order = np.argsort(-probs, kind="stable")[:k]
    return [LabelScore(names[j], float(probs[j]), None if explain_frames is None else explain_frames(j))
            for j in order]


def scene(path: str, extractor, labels: LabelSet | None = None, top_k: int = 5, explain: bool = False,
          scorer: Scorer | None = None, head: SceneHead | None = None, none_check: bool = True,
          yamnet=None, sound_weight: float = AUDIO_WEIGHT, unavailable: dict | None = None) -> SceneResult:
    """Zero-shot labels for the clip and for each of its shots.

    ``labels`` defaults to the ``all`` vocabulary. Pass a prebuilt ``scorer`` to score many videos with
    one label set (the label texts are embedded once). ``elapsed_s`` excludes model loading and label
    embedding (paid once per run). With a YAMNet model and ``sound_weight`` > 0, labels about a sound get
    ``sound_weight`` times YAMNet's score for it over each shot added to their pooled score (off by default:
    it did not help on the labelled clips, see the module doc). ``unavailable`` ({model: why}) is reported
    in ``models`` (e.g. YAMNet asked for but not installed: the labels are then from the frames alone).
    """
    if head is not None:  # a trained head sees frames sampled as in training
        extractor = head.extractor_for(extractor)
    backbone = extractor.backbone
    if head is None and scorer is None:
        scorer = Scorer.build(backbone, labels or vocab("all"), extractor.cache, none_check=none_check)
    names = tuple(head.labels) if head is not None else scorer.labels.names
    top_k = max(1, min(int(top_k), len(names)))
    start = time.perf_counter()
    info = extractor.require_video(path)
    shots = extractor.shots(path)
    fe = extractor.frame_embeddings(path)
    sound_labels = snd = None
    if yamnet is not None and sound_weight > 0 and head is None:
        snd = extractor.sounds(path, yamnet)  # None without an audio track
        if snd is not None:
            sound_labels = scorer.sound_labels(yamnet, extractor.cache)
    n_shots = len(shots)
    thr = none_threshold(len(names))

    seg_probs, seg_scores, seg_refs, segments, weights = [], [], [], [], []
    head_explained = []  # --explain with a fusion head: (frame index, (n, M) weights, shares, duration) per shot
    for s in shots:
        idx = np.flatnonzero(fe.shot == s.index)
        if idx.size == 0:  # more shots than frames: the frame nearest the shot's middle stands in
            idx = np.array([int(np.argmin(np.abs(fe.times - (s.start + s.end) / 2)))])
        frames = fe.vectors[idx]
        head_shares = None
        if head is not None and explain:  # per label: frames and modalities
            probs, att, head_shares = head.explain_shot(path, extractor, idx, s.start, s.end)
            scores, ref = probs, None
            head_explained.append((idx, att, head_shares, max(s.end - s.start, 1e-3)))
        elif head is not None:  # the shot's frames and audio
            probs = np.asarray(head.predict_shot(path, extractor, idx, s.start, s.end))
            scores, ref, att = probs, None, None
        else:
            probs, scores, ref, att = scorer.score(frames)
            if sound_labels is not None:  # labels about a sound: what YAMNet hears over the shot joins in
                heard = sound_labels.evidence(snd.mean(s.start, s.end))
                probs = softmax(scorer.scale * (scores + sound_weight * heard))
        z = match_z(scores, ref)  # "none of these" stays a question about the frames

        def frames_for(j, idx=idx, att=att):
            if att is None:
                return [float(t) for t in fe.times[idx]]
            order = np.argsort(-att[:, j], kind="stable")[:EXPLAIN_FRAMES]
            return sorted(float(fe.times[idx[i]]) for i in order)

        none = z is not None and z < thr
        segments.append(SceneSegment(s.start, s.end, _top(names, probs, top_k, frames_for if explain else None),
                                     none, z))
        for x in segments[-1].labels if head_shares is not None else ():
            j = names.index(x.label)
            weight = {round(float(fe.times[i]), 6): float(a) for i, a in zip(idx, att[:, j])}
            x.modalities, x.frame_weights = head_shares[j], [weight[round(t, 6)] for t in x.frames]
        seg_probs.append(probs)
        seg_scores.append(scores)
        seg_refs.append(ref)
        weights.append(max(s.end - s.start, 1e-3))

    w = np.asarray(weights) / np.sum(weights)
    overall = np.einsum("s,sm->m", w, np.stack(seg_probs))
    # The clip's z from its duration-weighted pooled scores: the statistic the threshold was measured on.
    z_all = None if seg_refs[0] is None else match_z(w @ np.stack(seg_scores), w @ np.stack(seg_refs))

    def overall_frames(j):
        if head_explained:  # a fusion head: the frames weighing most for label j, weighted by shot duration
            return sorted(t for _, t in _head_frames(j))
        if head is not None or scorer is None:
            return []
        sim = fe.vectors @ scorer.vectors[j]
        return sorted(float(fe.times[i]) for i in np.argsort(-sim, kind="stable")[:EXPLAIN_FRAMES])

    models = {"backbone": backbone.fingerprint,
              "head": None if head is None else getattr(head, "name", "head"),
              "labels": scorer.labels.source if scorer is not None else "head",
              "n_labels": len(names),
              "temperature": None if head is not None else scorer.scale}
    if sound_weight > 0 and head is None and (yamnet is not None or unavailable):
        models["audio_events"] = "yamnet" if sound_labels is not None else None  # None: no sound track
    if unavailable:
        models["unavailable"] = dict(unavailable)
    extra = {"shots": n_shots, "cuts": extractor.cuts(path), "frames": len(fe)}
    if sound_labels is not None:
        extra["sound_labels"] = {"weight": sound_weight, "labels": sound_labels.matched(scorer.labels)}
    total = sum(w for *_, w in head_explained)

    def _head_frames(j):  # [(weight, time)] best first: frame weight x the shot's share of the duration
        cand = [(w / total * float(att[i, j]), float(fe.times[idx[i]])) for idx, att, _, w in head_explained
                for i in range(len(idx))]
        return sorted(cand, key=lambda c: -c[0])[:EXPLAIN_FRAMES]

    overall_labels = _top(names, overall, top_k, overall_frames if explain else None)
    for x in overall_labels if head_explained else ():  # duration-weighted mean of the shots' modality shares
        j = names.index(x.label)
        x.modalities = {k: round(sum(w * sh[j][k] for _, _, sh, w in head_explained) / total, 4)
                        for k in head_explained[0][2][j]}
        x.frame_weights = [w for w, _ in sorted(_head_frames(j), key=lambda c: c[1])]
    return SceneResult(
        file=str(path), duration=info.duration, labels=overall_labels,
        segments=segments, models=models, none_of_these=z_all is not None and z_all < thr, match_z=z_all,
        elapsed_s=time.perf_counter() - start,
        extra=extra,
    )
