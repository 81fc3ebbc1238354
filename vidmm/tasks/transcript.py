"""What speech to text gives: words, segments, what was dropped and why, and the JSON document.

``TranscriptResult.to_dict`` is the ../shared/CLI.md document; ``to_record``/``from_record`` are the
plain-JSON form the feature cache keeps (scores and dropped text included).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .._version import __version__
from ..timecode import Span


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float

    def to_dict(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text,
                "probability": round(self.probability, 3)}


@dataclass
class TranscriptSegment:
    """One stretch of speech as Whisper decoded it, with the confidences the screens use."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 1.0
    temperature: float = 0.0
    words: list[Word] = field(default_factory=list)
    channel: int | None = None  # set when stereo channels were transcribed apart

    @property
    def span(self) -> Span:
        return Span.of(self.start, self.end)

    @property
    def duration(self) -> float:
        return max(self.end - self.start, 0.0)

    def to_dict(self, words: bool = False, scores: bool = False) -> dict:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}
        if self.channel is not None:
            d["channel"] = self.channel
        if scores:
            d["avg_logprob"] = round(self.avg_logprob, 4)
            d["no_speech_prob"] = round(self.no_speech_prob, 4)
        if words:
            d["words"] = [w.to_dict() for w in self.words]
        return d


@dataclass
class DroppedSegment:
    """A decoded segment the screens rejected. Its text is kept for debugging, never in the output."""

    segment: TranscriptSegment
    reason: str

    def to_dict(self) -> dict:
        return {"start": round(self.segment.start, 3), "end": round(self.segment.end, 3), "reason": self.reason}


@dataclass
class TranscriptResult:
    file: str | None
    duration: float
    segments: list[TranscriptSegment]
    language: str | None  # "en", another ISO code, "unknown" (speech, probably not English), None (no speech)
    language_probability: float | None = None
    model: str = ""
    speech: list[Span] = field(default_factory=list)
    dropped: list[DroppedSegment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warning: str | None = None
    avg_logprob: float | None = None  # duration-weighted, over the segments that passed the screen
    elapsed_s: float = 0.0
    include_words: bool = field(default=False, repr=False)  # to_dict's default: word timings in the document

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments).strip()

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def has_speech(self) -> bool:
        return bool(self.speech)

    def cues(self) -> list[tuple[float, float, str]]:
        """(start, end, text) per segment, what subtitle writers need."""
        return [(s.start, s.end, s.text) for s in self.segments]

    def to_dict(self, words: bool | None = None, scores: bool = False) -> dict:
        """The JSON document of ../shared/CLI.md (``transcript`` always present, empty when nothing was said).
        ``words``: each segment's word timings (default: ``include_words``)."""
        words = self.include_words if words is None else words
        d: dict[str, Any] = {"vidmm": __version__, "task": "transcribe", "file": self.file,
                             "duration": round(self.duration, 3), "models": {"asr": self.model},
                             "language": self.language}
        if self.language_probability is not None:
            d["language_probability"] = round(self.language_probability, 3)
        d["text"] = self.text
        d["transcript"] = [s.to_dict(words=words, scores=scores) for s in self.segments]
        d["speech"] = [s.to_dict() for s in self.speech]
        if self.avg_logprob is not None:
            d["avg_logprob"] = round(self.avg_logprob, 4)
        dropped = [x.to_dict() for x in self.dropped if x.reason != "empty"]  # blank decodes say nothing
        if dropped:
            d["dropped"] = dropped
        if self.notes:
            d["notes"] = list(self.notes)
        if self.warning:
            d["warning"] = self.warning
        d["elapsed_s"] = round(self.elapsed_s, 3)
        return d


    # -- the cache record: everything, including scores and dropped text, as plain JSON ----------
    def to_record(self) -> dict:
        return {"file": self.file, "duration": self.duration, "language": self.language,
                "language_probability": self.language_probability, "model": self.model,
                "segments": [asdict(s) for s in self.segments],
                "dropped": [{"segment": asdict(d.segment), "reason": d.reason} for d in self.dropped],
                "speech": [[s.start.seconds, s.end.seconds] for s in self.speech],
                "notes": self.notes, "warning": self.warning, "avg_logprob": self.avg_logprob}

    @classmethod
    def from_record(cls, d: dict) -> TranscriptResult:
        def seg(x: dict) -> TranscriptSegment:
            x = dict(x)
            x["words"] = [Word(**w) for w in x.get("words", [])]
            return TranscriptSegment(**x)

        return cls(file=d["file"], duration=d["duration"], segments=[seg(x) for x in d["segments"]],
                   language=d["language"], language_probability=d["language_probability"], model=d["model"],
                   speech=[Span.of(a, b) for a, b in d["speech"]],
                   dropped=[DroppedSegment(seg(x["segment"]), x["reason"]) for x in d["dropped"]],
                   notes=list(d["notes"]), warning=d["warning"], avg_logprob=d["avg_logprob"])
