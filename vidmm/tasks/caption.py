"""Captions: one English sentence per shot and one (or, with ``long``, a short paragraph) for the file.

    shots + frame embeddings (Extractor, cached) -> per shot: the vocabulary words that clear their
    thresholds (tasks/caption_words.py) + faces (who is there) + sounds (YAMNet) + what is said (the
    transcript) + the text shown (OCR, quoted when prominent: tasks/shown_text.py), all through the
    extractor's evidence channels (vidmm/channels.py, vidmm/channels_text.py) -> a sentence composed
    by rules (tasks/caption_compose.py). Overall: the words that held longest over the shots, plus what
    changes from shot to shot.

A photo is a one-frame video: one shot at time 0, no sound. An audio file has no pictures: its caption
says what is said and what else is heard (``Audio only: someone says: '...'``), with one segment per
transcript segment. Thresholds, how they were measured and what the captions get right: docs/caption.md.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from . import evidence as ev
from . import shown_text
from .caption_compose import audio_sentence, changes, compose, paragraph, quoted
from .caption_words import THRESHOLDS, Word, choose_words, heard, overall_words, sound_clauses, voice_heard
from .evidence import snippet
from .phrasing import sentence

__all__ = ["THRESHOLDS", "CaptionModels", "CaptionResult", "CaptionSegment", "Word", "caption", "choose_words",
           "compose", "sound_clauses", "word_counts"]

#: Words of the transcript quoted in one sentence.
SNIPPET_WORDS = 14


@dataclass
class CaptionSegment:
    start: float
    end: float
    caption: str
    words: list[Word] = field(default_factory=list)
    sounds: list[str] = field(default_factory=list)
    speech: str = ""
    faces: int = 0
    chosen: dict[str, list[Word]] = field(default_factory=dict, repr=False)  # all words that cleared
    visual: str = ""  # the caption without what is said (for the paragraph)
    speech_language: str | None = None  # the language ``speech`` is in
    text: str = ""  # the on-screen text quoted (vidmm.tasks.shown_text)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"start": round(self.start, 3), "end": round(self.end, 3), "caption": self.caption,
                             "words": [w.to_dict() for w in self.words], "faces": self.faces}
        if self.sounds:
            d["sounds"] = self.sounds
        if self.speech:
            d["speech"] = self.speech
            if self.speech_language:
                d["speech_language"] = self.speech_language
        if self.text:
            d["text"] = self.text
        return d


@dataclass
class CaptionResult:
    file: str
    duration: float | None
    caption: str
    segments: list[CaptionSegment]
    models: dict
    paragraph: str | None = None
    transcript: list[dict] | None = None
    timings: dict = field(default_factory=dict)
    elapsed_s: float = 0.0
    cuts: str | None = None  # how precise the segments' cuts are (Extractor.cuts), for videos

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"vidmm": __version__, "task": "caption", "file": self.file,
                             "duration": None if self.duration is None else round(self.duration, 3),
                             "models": self.models, "caption": self.caption}
        if self.paragraph:
            d["paragraph"] = self.paragraph
        if self.cuts:
            d["cuts"] = self.cuts
        d["segments"] = [s.to_dict() for s in self.segments]
        if self.transcript:
            d["transcript"] = self.transcript
        d["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        d["elapsed_s"] = round(self.elapsed_s, 4)
        return d

    def cues(self) -> list[tuple[float, float, str]]:
        """(start, end, caption) per segment, for the SRT/WebVTT writers."""
        return [(s.start, s.end, s.caption) for s in self.segments]


@dataclass
class CaptionModels:
    """What captions need besides the backbone: concept vectors (required), and the optional face, sound,
    speech and generative caption models."""

    concepts: ev.Concepts
    detector: Any = None
    yamnet: Any = None
    speech: Any = None
    captioner: Any = None  # vidmm.models.captioner.Captioner (optional generative captions)
    unavailable: dict = field(default_factory=dict)  # optional model -> why it is missing (and how to get it)
    ocr: Any = None  # vidmm.models.ocr.OcrModel (optional: the text shown)

    @classmethod
    def load(cls, extractor, faces: bool = True, sounds: bool = True, speech: bool = True,
             models_dir=None, asr_model=None, captioner: str | None = None, text: bool = True) -> CaptionModels:
        """One policy: the concepts are required; faces (YuNet) and sounds (YAMNet) enrich a caption but
        are not needed for one, so on a machine without them the caption comes from what is there and
        ``unavailable`` says what was left out, and so is the OCR model (``text=False``: not even tried); the
        speech model (unless ``speech=False``) and a named
        ``captioner`` are required (ModelMissingError, exit 4)."""
        from .base import Needs

        concepts = ev.Concepts.build(extractor.backbone, extractor.cache)
        needs = Needs()
        detector = yamnet = speech_model = gen = None
        if faces:
            from ..models.faces import load_detector

            detector = needs.optional("face_detector", lambda: load_detector("yunet", models_dir))
        if sounds:
            from ..models.audio_events import load_yamnet

            yamnet = needs.optional("audio_events", lambda: load_yamnet(models_dir))
        if speech:
            from ..models.speech import load_speech_model

            speech_model = load_speech_model(asr_model)
        if captioner:
            from ..models.captioner import load_captioner

            gen = load_captioner(captioner)
        ocr = shown_text.load_model(needs) if text else None
        return cls(concepts, detector, yamnet, speech_model, gen, needs.unavailable, ocr)

    def names(self, extractor) -> dict:
        return {"backbone": extractor.backbone.fingerprint,
                "face_detector": getattr(self.detector, "name", None),
                "audio_events": "yamnet" if self.yamnet is not None else None,
                "asr": getattr(self.speech, "name", None),
                "captioner": getattr(self.captioner, "name", None),
                "ocr": getattr(self.ocr, "name", None),
                **({"unavailable": self.unavailable} if self.unavailable else {})}


class _Clock:
    """Step timings, and the progress callback ticked after each step."""

    def __init__(self, progress, steps: int):
        self.timings: dict[str, float] = {}
        self.progress, self.steps, self.done = progress, steps, 0
        self.t = time.perf_counter()

    def step(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self.t
        self.t = now
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.steps)


def caption(path: str, extractor, models: CaptionModels | None = None, long: bool = False,
            progress=None) -> CaptionResult:
    """Caption one video, photo or audio file; see the module doc. ``models`` is loaded (once) when not
    given; ``progress(done, total)`` is called after each step."""
    if models is None:
        models = CaptionModels.load(extractor)
    t0 = time.perf_counter()
    info = extractor.probe(path)
    if info.has_video:
        result = _caption_pictures(path, extractor, models, long, _Clock(progress, 6))
    else:
        result = _caption_audio(path, extractor, models, long, _Clock(progress, 3))
    result.duration = info.duration
    if info.kind == "video":
        result.cuts = extractor.cuts(path)
    result.elapsed_s = time.perf_counter() - t0
    return result


def _shot_faces(faces, a: float, b: float) -> tuple[int, int]:
    """(most faces in one frame, most subject-sized faces in one frame) of the frames in [a, b)."""
    if faces is None or not len(faces.times):
        return 0, 0
    m = faces.in_range(a, b)
    return int(faces.total[m].max()), int(faces.main[m].max())


def _said(tr, a: float = 0.0, b: float = float("inf")) -> tuple[str, str | None]:
    """A snippet of what is said with its middle in [a, b), in its own language, and that language (the one
    spoken longest there). Segments flagged ``uncertain`` (words heard with little confidence: often noise
    taken for speech) are not quoted."""
    segs = [x for x in tr.segments if a <= (x.start + x.end) / 2 < b and not x.uncertain] if tr is not None else []
    if not segs:
        return "", None
    secs: dict[str | None, float] = {}
    for x in segs:
        secs[x.language] = secs.get(x.language, 0.0) + x.duration
    from ..languages import join_text

    lang = max(secs, key=lambda k: secs[k])
    return snippet(join_text([x.text for x in segs], lang), SNIPPET_WORDS), lang


def _caption_pictures(path, extractor, models: CaptionModels, long: bool, clock: _Clock) -> CaptionResult:
    info = extractor.require_video(path)
    start, end = extractor.span(path) or (0.0, float(info.duration or 0.0))
    shots = extractor.shots(path)
    fe = extractor.frame_embeddings(path)
    clock.step("frames")
    faces = extractor.faces(path, models.detector) if models.detector is not None else None
    clock.step("faces")
    snd = extractor.sounds(path, models.yamnet) if models.yamnet is not None else None
    clock.step("sounds")
    tr = extractor.transcript(path, models.speech)
    clock.step("speech")
    shown = shown_text.lines(extractor, path, models.ocr, glance=True)
    clock.step("text")

    names = snd.class_names if snd is not None else []
    segments: list[CaptionSegment] = []
    for s in shots:
        idx = np.flatnonzero(fe.shot == s.index)
        if idx.size == 0:
            idx = np.array([int(np.argmin(np.abs(fe.times - (s.start + s.end) / 2)))])
        words = choose_words(fe.vectors[idx], models.concepts)
        nf, mf = _shot_faces(faces, s.start, s.end)
        clauses = sound_clauses(snd.mean(s.start, s.end) if snd is not None else None, names)
        said, lang = _said(tr, s.start, s.end)
        on_screen = shown_text.in_span(shown, s.start, s.end)
        shown_clause = shown_text.clause(on_screen)
        text, used = compose(words, nf, mf, clauses, said, speech_language=lang, shown=shown_clause)
        visual = compose(words, nf, mf, clauses, "", shown=shown_clause)[0] if said else text
        segments.append(CaptionSegment(s.start, s.end, text, used, clauses, said, nf, words, visual, lang,
                                       shown_text.quote(shown_text.prominent(on_screen))))

    # Overall: the words that held longest over the shots, the face count of the median shot (weighted
    # by duration), sounds over the whole clip.
    if models.captioner is not None:
        _generate(path, extractor, models.captioner, shots, segments)
    words = overall_words(segments)
    change = changes(segments)
    if change.startswith("the view moves"):  # the places are named there, once
        words["scenes"] = []
    nf = mf = 0
    if faces is not None and len(faces.times) and segments:
        order = np.argsort([s.faces for s in segments])
        dur = np.array([max(segments[i].end - segments[i].start, 1e-3) for i in order])
        mid = order[int(np.searchsorted(np.cumsum(dur) / dur.sum(), 0.5))]
        nf = segments[mid].faces
        mf = int(faces.main.max()) if nf else 0
    clauses = sound_clauses(snd.mean(start, end or 1e9) if snd is not None else None, names)
    said, lang = _said(tr)
    overall, _ = compose(words, nf, mf, clauses, "", fallback="a sequence of shots" if change else
                         "a scene that vidmm cannot describe with confidence", shown=shown_text.clause(shown))
    if models.captioner is not None and segments:
        overall = max(segments, key=lambda x: x.end - x.start).visual
    if change:
        overall = sentence(overall.rstrip(".") + f"; {change}")
    if said:
        overall = sentence(overall.rstrip(".") + f", and someone says{quoted(said, lang)}")
    para = paragraph(overall, segments, tr.text if tr is not None else "", lang) if long else None
    clock.step("compose")
    return CaptionResult(str(path), info.duration, overall, segments, models.names(extractor), para,
                         _transcript(tr), clock.timings)


def _caption_audio(path, extractor, models: CaptionModels, long: bool, clock: _Clock) -> CaptionResult:
    """A file without pictures: one segment per transcript segment (one over the file without speech),
    each saying what is said and what else is heard."""
    info = extractor.probe(path)
    snd = extractor.sounds(path, models.yamnet) if models.yamnet is not None else None
    clock.step("sounds")
    tr = extractor.transcript(path, models.speech)
    clock.step("speech")
    names = snd.class_names if snd is not None else []
    start, end = extractor.span(path) or (0.0, float(info.duration or 0.0))
    spans = [(x.start, x.end) for x in tr.segments] if tr is not None and tr.segments else [(start, end)]
    segments: list[CaptionSegment] = []
    for a, b in spans:
        mean = snd.mean(a, b) if snd is not None else None
        sounds = heard(mean, names)
        said, lang = _said(tr, a, b)
        voice = tr is None and voice_heard(mean, names)  # no transcript: YAMNet says whether someone speaks
        text = audio_sentence(sounds, said, voice, lang)
        segments.append(CaptionSegment(a, b, text, [], [p.clause for p in sounds], said, 0, {},
                                       audio_sentence(sounds, "", voice or bool(said)), lang))
    mean = snd.mean(start, end or 1e9) if snd is not None else None
    said, lang = _said(tr)
    overall = audio_sentence(heard(mean, names), said, tr is None and voice_heard(mean, names), lang)
    # --long: the overall sentence and more of the transcript (there are no shots to walk through)
    para = paragraph(overall, [], tr.text if tr is not None else "", lang) if long else None
    clock.step("compose")
    return CaptionResult(str(path), info.duration, overall, segments, models.names(extractor), para,
                         _transcript(tr), clock.timings)


def _transcript(tr) -> list[dict] | None:
    return [x.to_dict() for x in tr.segments] if tr is not None and tr.segments else None


def _generate(path, extractor, captioner, shots, segments: list[CaptionSegment]) -> None:
    """Replace each shot's visual sentence by the generative captioner's, on the shot's middle frame;
    what is said is appended as before. The rule-based words stay in ``words``."""
    from ..media.frames import Sampling

    frames = extractor.frames(path, Sampling.per_shot([s.span for s in shots], per_shot=1))
    for seg in segments:
        mid = (seg.start + seg.end) / 2
        f = min(frames, key=lambda fr: abs(fr.seconds - mid)) if frames else None
        if f is None:
            continue
        text = sentence(captioner.describe(f.image))
        if not text:
            continue
        seg.visual = text
        seg.caption = sentence(text.rstrip(".") + (f"; someone says{quoted(seg.speech, seg.speech_language)}"
                                                   if seg.speech else ""))


def word_counts(results: list[CaptionResult]) -> Counter:
    """How often each chosen word appears over many captions (for calibration reports)."""
    return Counter(w.text for r in results for s in r.segments for w in s.words)
