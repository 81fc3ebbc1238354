"""Speech to text: `transcribe(path_or_audio)` -> TranscriptResult (segments, words, language).

The pipeline, and why each step is there:

1. Audio: 16 kHz mono float32 from ``vidmm.media.audio.load_audio`` (no audio track -> empty result
   with a note, not an error). Two stereo channels that are independent recordings with speech on
   both (one microphone per speaker) are transcribed one channel at a time: mixed, overlapping voices
   turn into nonsense, apart each is clean.
2. Speech gate: Silero VAD plus an energy gate (``vidmm.models.vad``). Without speech Whisper is never
   run: the answer is an empty transcript in milliseconds, and nothing can be invented.
3. Whisper (faster-whisper, VAD-filtered, beam search, no conditioning on previous text, which is the
   main source of run-away repetition).
4. Hallucination screen: segments that are repetitive (compression ratio), that the model itself
   thinks are not speech, that it has very low confidence in, or that are one of Whisper's stock
   phrases decoded with weak confidence, are dropped (and listed with the reason).
5. Language: an English-only model (the default tiny.en) turns any language into English-looking
   text. Its average log-probability per decoding window is the tell: English speech scores above a
   measured threshold, other languages below. Such windows lose their text; a file with nothing else
   is reported as ``language: "unknown"`` with a warning. A multilingual model detects the language
   itself and transcribes in it.
Limits: a foreign phrase inside a window of English is judged with its window (kept); Whisper can
still invent a few words from noise that Silero VAD took for speech (a kitchen clip gives "It is my trip.").
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..models.vad import SAMPLE_RATE, VadSettings, is_silent, speech_seconds, speech_spans
from ..timecode import Span
from .transcript import DroppedSegment, TranscriptResult, TranscriptSegment, Word

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

# --- Language screen for English-only models: duration-weighted average log-probability of the
# segments kept, per decoding window. Measured with tiny.en, beam 5: English speech (the four reference
# files, the Hamilton and UCF clips) -0.28 to -0.58 (worst: "one two three", 2.7 s); Mandarin
# (sr_chinese.flac) -0.74; espeak-ng German -0.74 and Russian -0.76. The threshold sits between.
# Two English speakers overlapping in one mono mix score -0.69 and are flagged too (the warning says so).
NON_ENGLISH_MAX_LOGPROB = -0.65
#: A multilingual model's language detection below this probability is reported as uncertain.
LANGUAGE_MIN_PROBABILITY = 0.5
#: Less speech than this (seconds) is not worth a Whisper pass.
MIN_SPEECH_S = 0.2
#: Tokens allowed per second of speech in a 30 s window (fast English is ~5, timestamps included).
#: Speech the model cannot read (another language) is otherwise decoded into loops of up to 448 tokens.
TOKENS_PER_SPEECH_S = 10
#: Whisper retries a window at higher temperature when its decode is repetitive or unsure (sampling 5
#: candidates each time). Three steps instead of faster-whisper's six. With both limits, 8 s of
#: synthetic Mandarin takes 4.5 s instead of 40 s; clear speech never gets past 0.0 and is unchanged.
FALLBACK_TEMPERATURES = (0.0, 0.4, 0.8)

ChannelMode = str  # "auto" | "mix" | "split"
#: Bump when anything above changes what a transcript contains, so cached transcripts are redone.
TRANSCRIBE_VERSION = "transcribe-v1"


# ---------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).replace("'", "").split())


def max_new_tokens(speech_s: float) -> int:
    """The decoding length cap for a window holding ``speech_s`` seconds of speech (see TOKENS_PER_SPEECH_S)."""
    return int(np.clip(TOKENS_PER_SPEECH_S * min(speech_s, 30.0) + 32, 64, 440))


def _decode(model, audio: np.ndarray, speech_s: float, settings: VadSettings, word_timestamps: bool,
            language: str | None, beam_size: int, channel: int | None,
            on_segment: Callable[[float], None] | None = None) -> tuple[list[TranscriptSegment], Any]:
    lang = language or (None if model.multilingual else "en")
    segments, info = model.whisper.transcribe(
        np.ascontiguousarray(audio, dtype=np.float32), language=lang, beam_size=beam_size,
        condition_on_previous_text=False, vad_filter=True, vad_parameters=settings.to_faster_whisper(),
        word_timestamps=word_timestamps, max_new_tokens=max_new_tokens(speech_s),
        temperature=list(FALLBACK_TEMPERATURES))
    out = []
    for s in segments:  # a generator: decoding happens here
        if on_segment is not None:
            on_segment(float(s.end))
        words = [Word(float(w.start), float(w.end), w.word.strip(), float(w.probability)) for w in (s.words or [])]
        out.append(TranscriptSegment(float(s.start), float(s.end), s.text.strip(), float(s.avg_logprob),
                                     float(s.no_speech_prob), float(s.compression_ratio),
                                     float(s.temperature or 0.0), words, channel))
    return out, info


def screen_segment(seg: TranscriptSegment) -> str | None:
    """Why a decoded segment is not trusted as speech, or None if it is."""
    if not _normalise(seg.text):
        return "empty"
    if seg.compression_ratio > MAX_COMPRESSION_RATIO:
        return "repetitive"
    if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < NO_SPEECH_MAX_LOGPROB:
        return "probably not speech"
    if seg.avg_logprob < MIN_AVG_LOGPROB:
        return "low confidence"
    if _normalise(seg.text) in STOCK_PHRASES and seg.avg_logprob < STOCK_PHRASE_MAX_LOGPROB:
        return "stock phrase from noise"
    return None


def weighted_logprob(segments: list[TranscriptSegment]) -> float | None:
    if not segments:
        return None
    d = np.array([max(s.duration, 0.02) for s in segments])
    lp = np.array([s.avg_logprob for s in segments])
    return float((d * lp).sum() / d.sum())


def _merge(spans: list[Span]) -> list[Span]:
    """Sorted union of possibly overlapping spans (speech heard on either channel)."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: s.start.seconds):
        if out and s.start.seconds <= out[-1].end.seconds:
            out[-1] = Span(out[-1].start, max(out[-1].end, s.end))
        else:
            out.append(s)
    return out


def _to_mono(audio: np.ndarray) -> np.ndarray:
    return audio if audio.ndim == 1 else audio.mean(axis=0)


def transcribe(
    source: str | os.PathLike | np.ndarray,
    model=None,
    *,
    sr: int = SAMPLE_RATE,
    word_timestamps: bool = False,
    language: str | None = None,
    channels: ChannelMode = "auto",
    beam_size: int = 5,
    vad: VadSettings | None = None,
    cache=None,
    progress: Callable[[float, float], None] | None = None,
) -> TranscriptResult:
    """Transcribe a media file, or float32 audio (mono ``(n,)`` or channels-first ``(c, n)``) at ``sr`` Hz.

    ``model``: a :class:`vidmm.models.speech.SpeechModel`, a model name/path, or None for the default
    (loaded once per process). ``language``: force a language (multilingual models only).
    ``channels``: "auto" transcribes independent stereo channels apart, "mix" never, "split" always.
    ``cache``: a :class:`vidmm.cache.Cache`; a file transcribed before (same content, model and
    settings) is read back instead of decoded again, so caption and ask on one clip share one pass.
    ``progress(done_s, total_s)``: called as decoding advances (the CLI draws a bar with it).
    """
    from ..models.speech import SpeechModel, load_speech_model

    if channels not in ("auto", "mix", "split"):
        raise ValueError(f"channels must be auto, mix or split, not {channels!r}")
    if not isinstance(model, SpeechModel):
        model = load_speech_model(model)
    if language is not None and not model.multilingual and language != "en":
        from ..errors import UsageError

        raise UsageError(f"speech model {model.name} is English-only; it cannot transcribe {language!r}",
                         hint="pass --asr-model with a multilingual model, e.g. small")
    settings = vad or VadSettings()
    start_time = time.perf_counter()
    file = None if isinstance(source, np.ndarray) else str(source)
    key = None
    if cache is not None and file is not None and getattr(cache, "enabled", False):
        from ..cache import file_identity, make_key
        from ..media.source import check_readable

        check_readable(file)
        key = make_key(TRANSCRIBE_VERSION, file_identity(file), model.path, model.compute_type, word_timestamps,
                       language, channels, beam_size, settings)
        hit = cache.get("transcript", key)
        if hit is not None:
            cached = TranscriptResult.from_record(hit[1])
            cached.file = file
            cached.elapsed_s = time.perf_counter() - start_time
            return cached
    result = _transcribe(source, file, model, sr, word_timestamps, language, channels, beam_size, settings,
                         progress)
    if key is not None:
        cache.put("transcript", key, {}, result.to_record())
    result.elapsed_s = time.perf_counter() - start_time
    return result


def _transcribe(source, file, model, sr, word_timestamps, language, channels, beam_size,
                settings: VadSettings, progress=None) -> TranscriptResult:
    result = TranscriptResult(file=file, duration=0.0, segments=[], language=None, model=model.name)

    audio = _load(source, sr, channels)
    sr = SAMPLE_RATE  # _load resamples arrays given at another rate
    if audio is None:
        from ..media.probe import probe

        result.duration = float(probe(source).duration or 0.0)
        result.notes.append("no audio track")
        return result
    result.duration = audio.shape[-1] / sr

    tracks = _tracks(audio, sr, channels, settings)
    result.speech = _merge([s for _, spans in tracks for s in spans])
    if len(tracks) > 1:
        result.notes.append(f"{len(tracks)} independent audio channels transcribed separately")
    if speech_seconds(result.speech) < MIN_SPEECH_S:
        result.notes.append("silent" if all(is_silent(t, sr) for t, _ in tracks) else "no speech detected")
        return result

    decoded: list[TranscriptSegment] = []
    info = None
    for ch, (track, spans) in enumerate(tracks):
        if speech_seconds(spans) < MIN_SPEECH_S:
            continue
        tick = None
        if progress is not None:
            def tick(t: float, ch: int = ch, dur: float = result.duration, n: int = len(tracks)) -> None:
                progress(ch * dur + min(t, dur), dur * n)
        segs, info = _decode(model, track, speech_seconds(spans), settings, word_timestamps, language,
                             beam_size, ch if len(tracks) > 1 else None, tick)
        decoded.extend(segs)
    decoded.sort(key=lambda s: (s.start, s.channel or 0))
    for seg in decoded:
        seg.end = min(seg.end, result.duration)  # VAD padding can reach past the end of the audio
        seg.start = min(seg.start, seg.end)
        reason = screen_segment(seg)
        if reason:
            result.dropped.append(DroppedSegment(seg, reason))
        else:
            result.segments.append(seg)
    result.avg_logprob = weighted_logprob(result.segments)
    _judge_language(result, model, info)
    if not result.segments and not result.warning:
        result.notes.append("sound the speech detector took for speech, but nothing was said clearly")
    return result


def _load(source, sr: int, channels: ChannelMode) -> np.ndarray | None:
    """Audio as (n,) mono, or (2, n) when the channels may be transcribed apart."""
    if isinstance(source, np.ndarray):
        audio = np.asarray(source, dtype=np.float32)
        if audio.ndim not in (1, 2) or audio.ndim == 2 and audio.shape[0] > 8:
            raise ValueError("audio arrays are (samples,) or channels-first (channels, samples)")
        if sr != SAMPLE_RATE and audio.shape[-1]:
            import librosa

            audio = librosa.resample(audio, orig_sr=sr, target_sr=SAMPLE_RATE).astype(np.float32)
        return audio
    from ..media.audio import load_audio

    sr = SAMPLE_RATE  # files are always decoded at Whisper's rate
    if channels != "mix":
        from ..media.probe import probe

        info = probe(source)
        if info.audio is None:
            return None
        if info.audio.channels == 2:
            from ..media.audio_channels import load_audio_channels

            return load_audio_channels(source, sr)
    return load_audio(source, sr)


def _tracks(audio: np.ndarray, sr: int, channels: ChannelMode,
            settings: VadSettings) -> list[tuple[np.ndarray, list[Span]]]:
    """The signals to transcribe, each with its speech spans: the mix, or each channel of a split."""
    if audio.ndim == 2 and audio.shape[0] >= 2 and channels != "mix":
        from ..media.audio_channels import independent_channels

        if channels == "split" or independent_channels(audio):
            tracks = [(audio[c], speech_spans(audio[c], sr, settings)) for c in range(audio.shape[0])]
            # Split only when speech is heard on both: one silent channel means a plain mono recording.
            if channels == "split" or all(speech_seconds(spans) >= MIN_SPEECH_S for _, spans in tracks):
                return tracks
    mono = np.ascontiguousarray(_to_mono(audio), dtype=np.float32)
    return [(mono, speech_spans(mono, sr, settings))]


#: Reasons that mean "speech the model could not read", as opposed to "not speech at all".
UNREADABLE = ("low confidence", "repetitive")
#: This much unreadable speech (seconds) with nothing readable makes an English-only model say so.
UNREADABLE_MIN_S = 1.0


def _judge_language(result: TranscriptResult, model, info) -> None:
    if model.multilingual:
        if not result.segments:
            return
        result.language = getattr(info, "language", None)
        result.language_probability = getattr(info, "language_probability", None)
        if result.language_probability is not None and result.language_probability < LANGUAGE_MIN_PROBABILITY:
            result.warning = (f"language uncertain: {result.language} with probability "
                              f"{result.language_probability:.2f}")
        return
    if not result.segments:
        unreadable = sum(d.segment.duration for d in result.dropped if d.reason in UNREADABLE)
        if unreadable >= UNREADABLE_MIN_S:
            result.language = "unknown"
            result.warning = (
                f"speech heard ({unreadable:.1f} s) could not be transcribed reliably: it is probably not "
                f"English, which is all the speech model {model.name} knows, or too noisy; use --asr-model "
                f"with a multilingual model (e.g. small) if it is another language")
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
           f"English only: use --asr-model with a multilingual model (e.g. small) for other languages")
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
