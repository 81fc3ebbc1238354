"""What the emotion task gives: faces and their tracks, each modality's evidence, the timeline, the JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from ..models.expression import LABELS


def _probs_dict(p: np.ndarray | None, names: Sequence[str] = LABELS) -> dict[str, float]:
    if p is None:
        return {}
    return {lab: round(float(v), 4) for lab, v in zip(names, p)}


@dataclass
class FaceObservation:
    time: float
    track: int
    box: tuple[float, float, float, float]
    score: float
    probs: np.ndarray  # (7,)

    def to_dict(self) -> dict:
        return {"time": round(self.time, 3), "face": self.track, "box": [round(float(v), 1) for v in self.box],
                "score": round(self.score, 3), "label": LABELS[int(self.probs.argmax())],
                "scores": _probs_dict(self.probs)}


@dataclass
class FaceTrack:
    """One person's face followed across frames ("face 1", "face 2", ...)."""

    face: int
    first: float
    last: float
    frames: int
    probs: np.ndarray

    @property
    def label(self) -> str:
        return LABELS[int(self.probs.argmax())]

    def to_dict(self) -> dict:
        return {"face": self.face, "start": round(self.first, 3), "end": round(self.last, 3), "frames": self.frames,
                "label": self.label, "score": round(float(self.probs.max()), 4), "scores": _probs_dict(self.probs)}


@dataclass
class Evidence:
    """One modality's view of a segment: its distribution, strength in [0, 1] and share of the fusion."""

    probs: np.ndarray | None
    strength: float
    contribution: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str | None:
        return None if self.probs is None or self.strength <= 0 else LABELS[int(self.probs.argmax())]

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"label": self.label, "strength": round(self.strength, 3),
                             "contribution": round(self.contribution, 3)}
        if self.probs is not None and self.strength > 0:
            d["score"] = round(float(self.probs.max()), 4)
            d["scores"] = _probs_dict(self.probs)
        d.update(self.detail)
        return d


@dataclass
class EmotionSegment:
    start: float
    end: float
    speech: bool
    label: str | None
    score: float
    probs: np.ndarray | None
    visual: Evidence | None  # None: no video or no sampled frame in the segment
    vocal: Evidence | None  # None: no audio
    faces: list[int] = field(default_factory=list)
    text: str | None = None
    names: tuple[str, ...] = LABELS  # the labels ``probs`` is over (a trained head's own labels)
    frames: list[dict] | None = None  # a trained head: the frames that drove the label [{"time", "weight"}]
    shares: dict[str, float] | None = None  # a trained head: each modality's share (visual, audio[, text])

    @property
    def duration(self) -> float:
        return max(self.end - self.start, 0.0)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3),
                             "emotion": {"label": self.label, "score": round(self.score, 4),
                                         "scores": _probs_dict(self.probs, self.names)},
                             "speech": self.speech, "faces": self.faces,
                             "visual": self.visual.to_dict() if self.visual else None,
                             "vocal": self.vocal.to_dict() if self.vocal else None}
        if self.frames is not None:
            d["frames"] = self.frames
        if self.shares is not None:
            d["modalities"] = self.shares
        if self.text:
            d["text"] = self.text
        return d


@dataclass
class EmotionResult:
    file: str
    duration: float
    label: str | None
    score: float
    probs: np.ndarray | None
    evidence: str  # "faces+voice" | "faces" | "voice" | "none"
    segments: list[EmotionSegment]
    tracks: list[FaceTrack]
    observations: list[FaceObservation]
    frames: int
    frames_with_faces: int
    max_faces: int
    modalities: dict[str, str]
    arousal: float | None
    valence: float | None
    prosody: dict[str, float] | None
    cues: dict[str, float]
    models: dict[str, str]
    notes: list[str] = field(default_factory=list)
    transcript: list[dict] | None = None
    elapsed_s: float = 0.0
    names: tuple[str, ...] = LABELS
    head: dict | None = None  # a trained head: name, strategy, labels, explanation of the overall label

    def to_dict(self) -> dict:
        d: dict[str, Any] = {
            "vidmm": __version__, "task": "emotion", "file": self.file, "duration": round(self.duration, 3),
            "models": self.models,
            "emotion": {"label": self.label, "score": round(self.score, 4),
                        "scores": _probs_dict(self.probs, self.names), "evidence": self.evidence},
            "arousal_valence": None if self.arousal is None else
            {"arousal": round(self.arousal, 3), "valence": round(self.valence, 3)},
            "faces": {"count": len(self.tracks), "max_in_frame": self.max_faces, "frames": self.frames,
                      "frames_with_faces": self.frames_with_faces,
                      "tracks": [t.to_dict() for t in self.tracks]},
            "voice": {"cues": {k: round(v, 3) for k, v in self.cues.items()},
                      "prosody": None if self.prosody is None else {k: round(v, 3) for k, v in self.prosody.items()}},
            "modalities": self.modalities,
            "segments": [s.to_dict() for s in self.segments],
        }
        if self.head is not None:  # the head sees backbone frames and audio features, not faces or cues
            d["faces"] = d["voice"] = None
            d["head"] = self.head
        if self.transcript:
            d["transcript"] = self.transcript
        if self.notes:
            d["notes"] = self.notes
        d["elapsed_s"] = round(self.elapsed_s, 3)
        return d


def _get(obj, key):
    return obj[key] if isinstance(obj, dict) else getattr(obj, key)
