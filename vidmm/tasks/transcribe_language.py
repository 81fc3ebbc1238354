"""Which language is spoken where: Whisper's language identification, stretch by stretch.

Whisper names a language from one 30 s window of audio (its encoder always reads 30 s, so a shorter stretch
costs as much). faster-whisper detects once per file, or with ``multilingual=True`` once per decoding window
while it decodes; a file that changes language part-way then loses the second language or gets it in the
first one's words. Here (``language_runs``):

1. The speech (the VAD spans) is cut into windows of at most ``WINDOW_S`` seconds of speech and each window's
   language is detected: one encoder pass per window, so a file with up to 30 s of speech costs what
   faster-whisper's own detection costs.
2. A window whose neighbour speaks another language, or whose detection is unsure (below ``SURE``), is
   halved at a phrase boundary (a finer VAD pass, ``PHRASE_VAD``) and both halves are detected; halves that
   disagree are halved again, down to ``MIN_PIECE_S`` of speech. A switch is found to within a phrase or two;
   a file in one language pays at most two passes more (an unsure window, halved once).
3. Consecutive phrases of one language form a run; a run with less than ``MIN_RUN_S`` of speech joins a
   neighbour (Whisper's guess on a second or two of speech is not worth a language change).

vidmm.tasks.transcribe then decodes each run with its language fixed. Limits: a switch inside one phrase is
placed at a phrase boundary; speech Whisper identifies poorly (espeak-ng's synthetic German scores 0.35-0.5)
is still placed, with its probability, and a file whose main language is unsure says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..models.vad import FRAME_S, SAMPLE_RATE, VadSettings, frame_dbfs, speech_spans
from ..timecode import Span

#: Speech per detection window: Whisper's own window.
WINDOW_S = 30.0
#: Halving stops at pieces with less speech than this: Whisper's guess on shorter speech is unreliable.
MIN_PIECE_S = 3.0
#: Phrases longer than this are cut (at their quietest 30 ms) so a switch can be placed inside a long one.
PHRASE_MAX_S = 5.0
#: A detection below this probability is unsure: its window is halved once to look for a second language.
SURE = 0.5
#: Runs with less speech than this join a neighbour.
MIN_RUN_S = 2.0
#: Phrases: the speech detector with short pauses (0.3 s) counting as breaks.
PHRASE_VAD = VadSettings(min_silence_s=0.3, pad_s=0.1)


@dataclass
class LanguageRun:
    """A stretch of one language: [start, end) seconds of the audio, the speech in it, how sure."""

    start: float
    end: float
    language: str
    probability: float | None  # speech-weighted mean detection probability; None when the language was given
    speech_s: float

    @property
    def span(self) -> Span:
        return Span.of(self.start, self.end)


Piece = tuple[int, int]  # a stretch of speech, in samples
Label = tuple[str, float]  # (language, probability)


def language_runs(model, audio: np.ndarray, spans: list[Span], sr: int = SAMPLE_RATE,
                  language: str | None = None, on_detect: Callable[[], None] | None = None) -> list[LanguageRun]:
    """The language runs of ``audio`` (mono, ``sr`` Hz) whose speech is ``spans``; see the module doc.
    ``language`` (or an English-only model) gives one run of that language without detecting anything.
    ``on_detect`` is called once per detection pass (benchmarks count them)."""
    end = len(audio) / sr
    speech = sum(s.duration for s in spans)
    if language is not None or not model.multilingual:
        return [LanguageRun(0.0, end, language or "en", None, speech)]
    if not spans:
        return []

    def detect(pieces: list[Piece]) -> Label:
        clip = np.concatenate([audio[a:b] for a, b in pieces])
        lang, prob, _ = model.whisper.detect_language(audio=np.ascontiguousarray(clip, dtype=np.float32))
        if on_detect is not None:
            on_detect()
        return lang, float(prob)

    coarse = [p for s in spans for p in _cut(audio, int(s.start.seconds * sr), int(s.end.seconds * sr),
                                               int(WINDOW_S * sr), sr)]
    windows = _groups(coarse, int(WINDOW_S * sr))
    labels = [detect(w) for w in windows]
    phrases: list[Piece] | None = None
    labelled: list[tuple[Piece, str, float]] = []
    for i, (w, label) in enumerate(zip(windows, labels)):
        left = labels[i - 1][0] if i > 0 else None
        right = labels[i + 1][0] if i + 1 < len(labels) else None
        if label[1] >= SURE and left in (None, label[0]) and right in (None, label[0]):
            labelled += [(p, *label) for p in w]
            continue
        if phrases is None:
            phrases = [p for s in speech_spans(audio, sr, PHRASE_VAD)
                       for p in _cut(audio, int(s.start.seconds * sr), int(s.end.seconds * sr),
                                     int(PHRASE_MAX_S * sr), sr)]
        inside = [p for p in phrases if w[0][0] <= (p[0] + p[1]) // 2 < w[-1][1]]
        labelled += _refine(detect, inside or w, label, left, right, sr, check_unsure=True)
    return _runs(labelled, sr, end)


def _refine(detect, pieces: list[Piece], label: Label, left: str | None, right: str | None, sr: int,
            check_unsure: bool = False) -> list[tuple[Piece, str, float]]:
    """Label ``pieces`` (detected as ``label`` together), halving while a neighbour disagrees (``left``,
    ``right``: the languages beside them) or, once, when the detection is unsure."""
    disagree = left not in (None, label[0]) or right not in (None, label[0])
    unsure = check_unsure and label[1] < SURE
    if not (disagree or unsure) or len(pieces) < 2 or _speech(pieces) < 2 * MIN_PIECE_S * sr:
        return [(p, *label) for p in pieces]
    a, b = _halve(pieces)
    la, lb = detect(a), detect(b)
    return (_refine(detect, a, la, left, lb[0], sr) + _refine(detect, b, lb, la[0], right, sr))


def _runs(labelled: list[tuple[Piece, str, float]], sr: int, end: float) -> list[LanguageRun]:
    """Consecutive pieces of one language as runs; short runs joined to a neighbour; boundaries halfway
    between the last piece of one run and the first of the next."""
    labelled.sort(key=lambda x: x[0][0])
    groups: list[list[tuple[Piece, str, float]]] = []
    for item in labelled:
        if groups and groups[-1][-1][1] == item[1]:
            groups[-1].append(item)
        else:
            groups.append([item])
    while len(groups) > 1:
        secs = [_speech([p for p, _, _ in g]) / sr for g in groups]
        i = int(np.argmin(secs))
        if secs[i] >= MIN_RUN_S:
            break
        j = i - 1 if i == len(groups) - 1 or (i > 0 and secs[i - 1] >= secs[i + 1]) else i + 1
        lang = groups[j][0][1]
        groups[min(i, j)] = sorted([*groups[i], *groups[j]], key=lambda x: x[0][0])
        groups[min(i, j)] = [(p, lang, prob) for p, _, prob in groups[min(i, j)]]
        del groups[max(i, j)]
        merged: list[list[tuple[Piece, str, float]]] = []  # neighbours of one language join up
        for g in groups:
            if merged and merged[-1][0][1] == g[0][1]:
                merged[-1] += g
            else:
                merged.append(g)
        groups = merged
    runs = []
    for k, g in enumerate(groups):
        n = np.array([b - a for (a, b), _, _ in g], float)
        probs = np.array([prob for _, _, prob in g])
        start = 0.0 if k == 0 else (groups[k - 1][-1][0][1] + g[0][0][0]) / 2 / sr
        stop = end if k == len(groups) - 1 else (g[-1][0][1] + groups[k + 1][0][0][0]) / 2 / sr
        runs.append(LanguageRun(start, stop, g[0][1], float((n * probs).sum() / n.sum()), float(n.sum() / sr)))
    return runs


def _speech(pieces: list[Piece]) -> int:
    return sum(b - a for a, b in pieces)


def _halve(pieces: list[Piece]) -> tuple[list[Piece], list[Piece]]:
    """Two lists of whole pieces with about half of the speech each (both non-empty)."""
    total = _speech(pieces)
    acc, k = 0, 1
    while k < len(pieces) - 1:
        acc += pieces[k - 1][1] - pieces[k - 1][0]
        if acc >= total / 2:
            break
        k += 1
    return pieces[:k], pieces[k:]


def _groups(pieces: list[Piece], limit: int) -> list[list[Piece]]:
    """Consecutive pieces grouped while their speech stays within ``limit`` samples."""
    groups: list[list[Piece]] = []
    for p in pieces:
        if groups and _speech(groups[-1]) + p[1] - p[0] <= limit:
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def _cut(audio: np.ndarray, a: int, b: int, limit: int, sr: int) -> list[Piece]:
    """[a, b) cut into pieces of at most ``limit`` samples, each cut at the quietest 30 ms frame of the
    last third before the limit (a pause between words, where there is one)."""
    frame = int(FRAME_S * sr)
    out = []
    while b - a > limit:
        lo = a + limit * 2 // 3
        db = frame_dbfs(audio[lo:a + limit], sr)
        cut = lo + int(np.argmin(db)) * frame + frame // 2
        out.append((a, cut))
        a = cut
    if b > a:
        out.append((a, b))
    return out
