"""What a transcript keeps: the hallucination screen for every model, the language screen for English-only ones.

* Hallucination screen (``screen_segment``): segments that are repetitive (compression ratio), that the
  model itself thinks are not speech, that it has very low confidence in, or that are one of Whisper's
  stock phrases decoded with weak confidence, are dropped and listed with the reason.
* Flags (``flag_segment``): a segment kept whose words were heard with little confidence says so
  (``uncertain``, with the reason).
* Language screen for an English-only model (``judge_english``; tiny.en): such a model turns
  any language into English-looking text. Its average log-probability per decoding window is the tell:
  English speech scores above a measured threshold, other languages below. Such windows lose their text;
  a file with nothing else is reported as ``language: "unknown"`` with a warning. A multilingual model
  detects each stretch's language itself (vidmm.tasks.transcribe_language) and needs no such screen.
"""

from __future__ import annotations

import re

import numpy as np

from .transcript import DroppedSegment, TranscriptResult, TranscriptSegment

# --- Hallucination screen. Whisper's own fallback thresholds are 2.4 / -1.0 / 0.6; the no-speech rule
# is stricter than Whisper's (-1.0): applause decoded as "Yay!" had no_speech_prob 0.71 and -0.83.
MAX_COMPRESSION_RATIO = 2.4
MIN_AVG_LOGPROB = -1.0
NO_SPEECH_PROB = 0.6
NO_SPEECH_MAX_LOGPROB = -0.5
#: Stock phrases Whisper produces from noise (kitchen clatter gave "Thank you." twice at -0.55).
#: Dropped only when decoded with less confidence than this; clearly spoken thanks stay.
STOCK_PHRASE_MAX_LOGPROB = -0.45
STOCK_PHRASES = frozenset({
    "thank you", "thank you very much", "thanks", "thanks for watching", "thank you for watching",
    "thank you so much for watching", "please subscribe", "you", "bye", "bye bye", "okay", "oh",
    "subtitles by the amara org community", "so", "the end",
})

#: Mean word confidence below which a kept segment is flagged. Measured with base: kitchen clatter decoded as
#: "Who is my fit?" 0.48 (flipping_a_pancake.mkv); the least sure real speech, "and every day was..." at the
#: end of short_hamilton_clip.mp4, 0.67; clear speech 0.8-0.95.
MIN_WORD_CONFIDENCE = 0.55

# --- Language screen for English-only models: duration-weighted average log-probability of the
# segments kept, per decoding window. Measured with tiny.en, beam 5: English speech (the four reference
# files, the Hamilton and UCF clips) -0.28 to -0.58 (worst: "one two three", 2.7 s); Mandarin
# (sr_chinese.flac) -0.74; espeak-ng German -0.74 and Russian -0.76. The threshold sits between.
# Two English speakers overlapping in one mono mix score -0.69 and are flagged too (the warning says so).
NON_ENGLISH_MAX_LOGPROB = -0.65
#: Reasons that mean "speech the model could not read", as opposed to "not speech at all".
UNREADABLE = ("low confidence", "repetitive")
#: This much unreadable speech (seconds) with nothing readable makes an English-only model say so.
UNREADABLE_MIN_S = 1.0


def normalise(text: str) -> str:
    """Lower case, letters and digits of any script, no punctuation: what the screen compares."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).replace("'", "").replace("_", " ").split())


def screen_segment(seg: TranscriptSegment) -> str | None:
    """Why a decoded segment is not trusted as speech, or None if it is."""
    if not normalise(seg.text):
        return "empty"
    if seg.compression_ratio > MAX_COMPRESSION_RATIO:
        return "repetitive"
    if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < NO_SPEECH_MAX_LOGPROB:
        return "probably not speech"
    if seg.avg_logprob < MIN_AVG_LOGPROB:
        return "low confidence"
    if normalise(seg.text) in STOCK_PHRASES and seg.avg_logprob < STOCK_PHRASE_MAX_LOGPROB:
        return "stock phrase from noise"
    return None


def flag_segment(seg: TranscriptSegment) -> str | None:
    """Why a kept segment may be wrong, or None (see MIN_WORD_CONFIDENCE)."""
    conf = seg.word_confidence
    if conf is not None and conf < MIN_WORD_CONFIDENCE:
        return f"its words were heard with mean confidence {conf:.2f} (< {MIN_WORD_CONFIDENCE})"
    return None


def weighted_logprob(segments: list[TranscriptSegment]) -> float | None:
    if not segments:
        return None
    d = np.array([max(s.duration, 0.02) for s in segments])
    lp = np.array([s.avg_logprob for s in segments])
    return float((d * lp).sum() / d.sum())


def judge_english(result: TranscriptResult, model) -> None:
    """The language screen of an English-only model (see the module doc); sets ``result.language``."""
    if not result.segments:
        unreadable = sum(d.segment.duration for d in result.dropped if d.reason in UNREADABLE)
        if unreadable >= UNREADABLE_MIN_S:
            result.language = "unknown"
            result.warning = (
                f"speech heard ({unreadable:.1f} s) could not be transcribed reliably: it is probably not "
                f"English, which is all the speech model {model.name} knows, or too noisy; leave out "
                f"--asr-model (the default, Whisper base, knows 99 languages) if it is another language")
        return
    # Segments decoded from one 30 s window share its scores: judge window by window, so a clip that
    # switches language (or has one noisy stretch) keeps its English parts.
    windows = _windows(result.segments)
    foreign = [w for w in windows if weighted_logprob(w) < NON_ENGLISH_MAX_LOGPROB]
    if not foreign:
        result.language = "en"
        return
    heard = sum(s.duration for w in foreign for s in w)
    lp = weighted_logprob([s for w in foreign for s in w])
    why = (f"average log-probability {lp:.2f} < {NON_ENGLISH_MAX_LOGPROB}; the speech model {model.name} knows "
           f"English only: leave out --asr-model (the default, Whisper base, knows 99 languages) for others")
    dropped = {id(s) for w in foreign for s in w}
    result.dropped.extend(DroppedSegment(s, "probably not English") for s in result.segments if id(s) in dropped)
    result.dropped.sort(key=lambda x: x.segment.start)
    result.segments = [s for s in result.segments if id(s) not in dropped]
    if result.segments:
        result.language = "en"
        result.warning = (f"{heard:.1f} s of speech left out: probably not English, or too noisy or overlapped "
                          f"to read ({why})")
    else:
        result.language = "unknown"
        result.warning = (f"speech heard ({heard:.1f} s) is probably not English, or too noisy or overlapped to "
                          f"read, so no text is given ({why})")


def _windows(segments: list[TranscriptSegment]) -> list[list[TranscriptSegment]]:
    """Consecutive segments of one channel with identical decoding scores came from one Whisper window."""
    groups: dict[tuple, list[TranscriptSegment]] = {}
    for s in segments:
        groups.setdefault((s.channel, s.avg_logprob, s.no_speech_prob, s.compression_ratio, s.temperature),
                          []).append(s)
    return list(groups.values())
