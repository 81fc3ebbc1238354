"""What speech to text gives: words, segments, what was dropped and why, and the JSON document.

``TranscriptResult.to_dict`` is the ../shared/CLI.md document; ``to_record``/``from_record`` are the
plain-JSON form the feature cache keeps (scores, dropped text and translations included).

Languages: every segment has the ``language`` it was decoded in; the file's ``language`` is the one
spoken longest, and ``languages`` lists each with its seconds of speech. A translation (``--translate``)
stands beside the original text: ``translation`` on each segment and at the top, ``text`` unchanged
(English segments are their own translation).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .._version import __version__
from ..languages import language_name, word_joiner
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
    language: str | None = None  # the language it was decoded in
    translation: str | None = None  # English (Whisper's translate task), when asked for
    uncertain: str | None = None  # kept, but why it may be wrong (transcribe_screen.flag_segment)

    @property
    def word_confidence(self) -> float | None:
        """Mean confidence of its words (None without word timings)."""
        return sum(w.probability for w in self.words) / len(self.words) if self.words else None

    @property
    def english(self) -> str:
        """The segment in English: its translation, or its own text when it is English (or untranslated)."""
        return self.translation if self.translation is not None else self.text

    @property
    def span(self) -> Span:
        return Span.of(self.start, self.end)

    @property
    def duration(self) -> float:
        return max(self.end - self.start, 0.0)

    def to_dict(self, words: bool = False, scores: bool = False, translation: bool = False) -> dict:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}
        if self.language is not None:
            d["language"] = self.language
        if translation:
            d["translation"] = self.english
        if self.channel is not None:
            d["channel"] = self.channel
        if self.uncertain:
            d["uncertain"] = self.uncertain
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
    include_translation: bool = field(default=False, repr=False)  # to_dict's default: translations in it

    @property
    def text(self) -> str:
        return _joined([(s.text, s.language) for s in self.segments])

    @property
    def translation(self) -> str:
        """The whole transcript in English (segments without a translation count as English)."""
        return _joined([(s.english, "en" if s.translation is not None else s.language) for s in self.segments])

    @property
    def translated(self) -> bool:
        """Every segment not in English has its translation."""
        return all(s.translation is not None for s in self.segments if s.language not in (None, "en"))

    @property
    def languages(self) -> list[tuple[str, float]]:
        """(language, seconds of its segments), longest first."""
        secs: dict[str, float] = {}
        for s in self.segments:
            if s.language is not None:
                secs[s.language] = secs.get(s.language, 0.0) + s.duration
        return sorted(secs.items(), key=lambda kv: -kv[1])

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def has_speech(self) -> bool:
        return bool(self.speech)

    def cues(self) -> list[tuple[float, float, str]]:
        """(start, end, text) per segment, what subtitle writers need."""
        return [(s.start, s.end, s.text) for s in self.segments]

    def to_dict(self, words: bool | None = None, scores: bool = False, translation: bool | None = None) -> dict:
        """The JSON document of ../shared/CLI.md (``transcript`` always present, empty when nothing was said).
        ``words``: each segment's word timings (default: ``include_words``); ``translation``: the English
        translation beside the text, per segment and whole (default: ``include_translation``)."""
        words = self.include_words if words is None else words
        translation = self.include_translation if translation is None else translation
        d: dict[str, Any] = {"vidmm": __version__, "task": "transcribe", "file": self.file,
                             "duration": round(self.duration, 3), "models": {"asr": self.model},
                             "language": self.language}
        if self.language_probability is not None:
            d["language_probability"] = round(self.language_probability, 3)
        langs = self.languages
        if langs:
            d["languages"] = [{"language": code, "name": language_name(code), "seconds": round(secs, 2)}
                              for code, secs in langs]
        d["text"] = self.text
        if translation:
            d["translation"] = self.translation
        d["transcript"] = [s.to_dict(words=words, scores=scores, translation=translation) for s in self.segments]
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


def _joined(parts: list[tuple[str, str | None]]) -> str:
    """Segment texts joined: a space between them, none inside a run of Chinese, Japanese, Thai..."""
    out = ""
    prev = None
    for text, lang in parts:
        text = text.strip()
        if not text:
            continue
        out += ((word_joiner(lang) if lang == prev else " ") + text) if out else text
        prev = lang
    return out.strip()
