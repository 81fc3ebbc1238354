"""Question answering: route the question by type, hand it to the handler for that type, report its answer.

    question -> route (tasks/ask_route.py) -> HANDLERS[type](Question) -> Answer -> AskResult

Handlers, each ``Question -> Answer``:

* place / action / object, and any question with ``--choices``: candidates from the vocabulary or the
  choices, scored against the frames with question-guided attention pooling (tasks/ask_visual.py);
* yes/no: the asked-about thing's z-score against the vocabulary crowd (people: the face detector);
* count: face detections; time: the span where the asked-about thing (or words, or a sound) is;
* speech: transcript segments retrieved with the text encoder; sound: YAMNet's classes; emotion: the
  emotion task (tasks/ask_audio.py);
* text ("what does the sign say?", "what is written on it?", "what is the name of...?", "does the screen
  say X?", "when is X shown?"): the on-screen text (tasks/ask_text.py), handing the question on to the
  handler it would otherwise have when the text does not answer it.

A question about pictures asked of an audio file gets an answer saying the file has none, except a
yes/no question about something YAMNet can hear ("is there a dog?"), which is a sound question. How the
thresholds were measured, and how well each type does on the labelled clips: docs/ask.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._version import __version__
from .ask_answer import NOT_SURE, NOT_SURE_TEXT, Answer, Candidate, Evidence, Question
from .ask_audio import answer_emotion, answer_sound, answer_speech, names_a_sound, no_pictures
from .ask_models import AskModels
from .ask_route import (
    QUESTION_TYPES,
    QUOTED,
    SOUND,
    SPEECH,
    VISUAL_TYPES,
    asks_for_text,
    clean,
    parse_choices,
    person_speaks,
    route,
    target_of,
)
from .ask_text import answer_text
from .ask_visual import answer_choice, answer_count, answer_when_seen, answer_yesno, thing_z

__all__ = ["NOT_SURE", "NOT_SURE_TEXT", "QUESTION_TYPES", "AskModels", "AskResult", "Candidate", "Evidence",
           "HANDLERS", "ask", "parse_choices", "route", "target_of", "thing_z"]


def _when(q: Question) -> Answer:
    """When is X said / heard / seen?"""
    if SPEECH.search(q.clean):
        return answer_speech(q, when=True)
    if SOUND.search(q.clean) or q.kind == "audio":
        return answer_sound(q, when=True)
    if asks_for_text(q.clean) or QUOTED.search(q.text):
        return answer_text(q, when=True)
    return answer_when_seen(q)


#: Question type -> its handler.
HANDLERS: dict[str, Callable[[Question], Answer]] = {
    "place": answer_choice, "action": answer_choice, "object": answer_choice, "yesno": answer_yesno,
    "count": answer_count, "time": _when, "speech": answer_speech, "sound": answer_sound,
    "emotion": answer_emotion, "text": answer_text,
}


@dataclass
class AskResult:
    file: str
    question: str
    type: str
    answer: str
    confidence: float
    evidence: Evidence | None
    candidates: list[Candidate] = field(default_factory=list)
    sure: bool = True
    best_guess: str | None = None
    target: str | None = None
    models: dict = field(default_factory=dict)
    transcript: list[dict] | None = None
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    duration: float | None = None
    elapsed_s: float = 0.0

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"vidmm": __version__, "task": "ask", "file": self.file,
                             "duration": None if self.duration is None else round(self.duration, 3),
                             "models": self.models, "question": self.question, "type": self.type,
                             "answer": self.answer, "confidence": round(float(self.confidence), 4),
                             "sure": self.sure}
        if self.best_guess is not None:
            d["best_guess"] = self.best_guess
        if self.target:
            d["target"] = self.target
        d["evidence"] = None if self.evidence is None else self.evidence.to_dict()
        d["candidates"] = [c.to_dict() for c in self.candidates]
        if self.transcript is not None:
            d["transcript"] = self.transcript
        if self.notes:
            d["notes"] = self.notes
        d["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        d["elapsed_s"] = round(self.elapsed_s, 4)
        return d


def question_type(question: str, choices: list[str] | None) -> str:
    """The route, except that a question with choices is answered by choosing among them."""
    qtype = route(question)
    if choices and qtype in ("yesno", "count", "time"):
        return "object"
    return qtype


def ask(path: str, question: str, extractor, models: AskModels | None = None,
        choices: list[str] | None = None) -> AskResult:
    """Answer one question about one file (a video, a photo or a recording); see the module doc."""
    from ..errors import UsageError

    if not str(question).strip():
        raise UsageError("the question is empty", hint='e.g. vidmm ask clip.mp4 "what is the person doing?"')
    models = models or AskModels(extractor)
    info = extractor.probe(path)
    kind = info.kind if info.has_video else "audio"
    qtype = question_type(question, choices)
    if qtype == "speech" and info.has_video and not info.has_audio and not person_speaks(clean(question)):
        qtype = "text"  # "what does it say?" of a photo or a silent clip: what it shows written
    q = Question(str(path), question, qtype, extractor, models, list(choices) if choices else None, kind,
                 float(info.duration or 0.0))
    handler = HANDLERS[qtype]
    if kind == "audio" and qtype in VISUAL_TYPES:
        # "is there a dog?" of a recording: a bark is an answer; what only pictures show is not
        handler = answer_sound if qtype == "yesno" and names_a_sound(q) else no_pictures
    elif kind != "audio" and qtype in VISUAL_TYPES:
        # Models load before the clock starts (CLI.md: elapsed_s leaves out model loading).
        _ = extractor.backbone
        if not choices:
            models.get("concepts")
    t0 = time.perf_counter()
    a = handler(q)
    elapsed = time.perf_counter() - t0
    return AskResult(str(path), question, qtype, a.answer, a.confidence, a.evidence, a.candidates, a.sure,
                     a.best_guess, a.target, models.names(q.used), a.transcript, a.notes, {"total": elapsed},
                     info.duration, elapsed)
