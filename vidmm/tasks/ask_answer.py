"""What a question handler is given (`Question`) and what it returns (`Answer`).

Every handler of tasks/ask.py is a function ``Question -> Answer``: it reads the evidence it needs
through the question (the file's frames, shots, faces, sounds, transcript; models on first use) and
returns its answer, with how sure it is, the moment that shows it and the runners-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ask_route import clean, target_of

#: Confidence below which a multiple-choice (or retrieved) answer is "I am not sure" (docs/ask.md).
NOT_SURE = 0.15
NOT_SURE_TEXT = "I am not sure"
#: Candidates listed after the answer.
RUNNER_UPS = 4


@dataclass
class Candidate:
    answer: str
    score: float

    def to_dict(self) -> dict:
        return {"answer": self.answer, "score": round(float(self.score), 4)}


@dataclass
class Evidence:
    start: float
    end: float
    frames: list[float] = field(default_factory=list)
    text: str | None = None

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3),
                             "frames": [round(t, 3) for t in self.frames]}
        if self.text:
            d["text"] = self.text
        return d


@dataclass
class Answer:
    """One handler's answer. ``sure=False`` answers say NOT_SURE_TEXT and keep the guess in ``best_guess``."""

    answer: str
    confidence: float = 0.0
    sure: bool = True
    best_guess: str | None = None
    evidence: Evidence | None = None
    candidates: list[Candidate] = field(default_factory=list)
    target: str | None = None
    notes: list[str] = field(default_factory=list)
    transcript: list[dict] | None = None

    @classmethod
    def judged(cls, answer: str, sure: bool, **kw) -> Answer:
        """``answer`` when ``sure``, else "I am not sure" with ``answer`` as the best guess."""
        if sure:
            return cls(answer, sure=True, **kw)
        return cls(NOT_SURE_TEXT, sure=False, best_guess=answer, **kw)


@dataclass
class Question:
    """A question about one file, with the means to answer it. ``kind``: video, image or audio."""

    path: str
    text: str
    type: str
    extractor: Any
    models: Any  # vidmm.tasks.ask_models.AskModels
    choices: list[str] | None = None
    kind: str = "video"
    duration: float = 0.0
    used: set[str] = field(default_factory=set)  # the models the answer used (the result's "models")

    @property
    def clean(self) -> str:
        return clean(self.text)

    @property
    def target(self) -> str:
        return target_of(self.text)

    @property
    def has_pictures(self) -> bool:
        return self.kind != "audio"

    def model(self, name: str):
        """The model ``name`` of `AskModels` (loaded on first use), noted as used."""
        self.used.add(name)
        return self.models.get(name)

    @property
    def backbone(self):
        self.used.add("backbone")
        return self.extractor.backbone

    def frames(self):
        """The sampled frames' embeddings (cached)."""
        self.used.add("backbone")
        return self.extractor.frame_embeddings(self.path)

    def shots(self):
        return self.extractor.shots(self.path)

    def span_of(self, t: float) -> tuple[float, float]:
        """The shot holding time ``t``."""
        shots = self.shots()
        for s in shots:
            if s.start <= t < max(s.end, s.start + 1e-6):
                return s.start, s.end
        return shots[-1].start, shots[-1].end

    def faces(self):
        return self.extractor.faces(self.path, self.model("detector"))

    def sounds(self):
        return self.extractor.sounds(self.path, self.model("yamnet"))

    def transcript(self):
        """What is said, with the English translation of speech in other languages (the text encoder
        that matches questions to it knows English only)."""
        return self.extractor.transcript(self.path, self.model("speech"), translate=True)
