"""Speech to text: `transcribe(path_or_audio)` -> TranscriptResult (segments, words, languages).

The pipeline, and why each step is there:

1. Audio: 16 kHz mono float32 from ``vidmm.media.audio.load_audio`` (no audio track -> empty result
   with a note, not an error). Two stereo channels that are independent recordings with speech on
   both (one microphone per speaker) are transcribed one channel at a time: mixed, overlapping voices
   turn into nonsense, apart each is clean.
2. Speech gate: Silero VAD plus an energy gate (``vidmm.models.vad``). Without speech Whisper is never
   run: the answer is an empty transcript in milliseconds, and nothing can be invented.
3. Language, stretch by stretch (vidmm.tasks.transcribe_language): Whisper's language identification per
   30 s of speech, refined where it changes, gives runs of one language (``--language`` forces one).
4. Whisper on each run with its language fixed (faster-whisper, VAD-filtered, beam search, no
   conditioning on previous text, which is the main source of run-away repetition); the other runs are
   silenced, so times stay in the file's clock. Every segment records its language, and its words with
   their times and confidence (always: they cost about 5 %, give subtitles their cue times and the screen
   its word confidence; the JSON shows them when asked).
5. Screens (vidmm.tasks.transcribe_screen): hallucinations (repetitive, not speech, very unsure, stock
   phrases from noise) are dropped and listed with the reason; a kept segment whose words were heard with
   little confidence is flagged (``uncertain``); an English-only model's text from speech that is probably
   not English is dropped.
6. Translation, when asked (vidmm.tasks.transcribe_translate): English beside the text of every segment
   in another language, through Whisper's translate task.
Limits: Whisper can still invent a few words from noise that Silero VAD took for speech (a kitchen clip
gives "Who is my fit?" with base, "It is my trip." with tiny.en).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from ..models.vad import SAMPLE_RATE, VadSettings, is_silent, speech_seconds, speech_spans
from ..timecode import Span
from .transcribe_language import LanguageRun, language_runs
from .transcribe_screen import (
    NON_ENGLISH_MAX_LOGPROB,
    flag_segment,
    judge_english,
    screen_segment,
    weighted_logprob,
)
from .transcribe_translate import needs_translation, translate_segments
from .transcript import DroppedSegment, TranscriptResult, TranscriptSegment, Word

__all__ = ["NON_ENGLISH_MAX_LOGPROB", "TRANSCRIBE_VERSION", "TranscriptResult", "TranscriptSegment",
           "screen_segment", "transcribe", "weighted_logprob"]

#: The main language's detection below this probability is reported as uncertain.
LANGUAGE_MIN_PROBABILITY = 0.5
#: Less speech than this (seconds) is not worth a Whisper pass.
MIN_SPEECH_S = 0.2
#: Tokens allowed per second of speech in a 30 s window (fast English is ~5, timestamps included; other
#: scripts take more tokens per word). Speech the model cannot read is otherwise decoded into loops of up
#: to 448 tokens.
TOKENS_PER_SPEECH_S = {"en": 10}
OTHER_TOKENS_PER_SPEECH_S = 20
#: Whisper retries a window at higher temperature when its decode is repetitive or unsure (sampling 5
#: candidates each time). Three steps instead of faster-whisper's six. With both limits, 8 s of
#: synthetic Mandarin takes 4.5 s instead of 40 s; clear speech never gets past 0.0 and is unchanged.
FALLBACK_TEMPERATURES = (0.0, 0.4, 0.8)

ChannelMode = str  # "auto" | "mix" | "split"
#: Bump when anything above changes what a transcript contains, so cached transcripts are redone.
TRANSCRIBE_VERSION = "transcribe-v2"


# ---------------------------------------------------------------------------------------------


def max_new_tokens(speech_s: float, language: str | None = "en") -> int:
    """The decoding length cap for a window holding ``speech_s`` seconds of speech (see TOKENS_PER_SPEECH_S)."""
    rate = TOKENS_PER_SPEECH_S.get(language or "", OTHER_TOKENS_PER_SPEECH_S)
    return int(np.clip(rate * min(speech_s, 30.0) + 32, 64, 440))


def _decode(model, audio: np.ndarray, speech_s: float, settings: VadSettings,
            language: str, beam_size: int, channel: int | None,
            on_segment: Callable[[float], None] | None = None) -> list[TranscriptSegment]:
    segments, _ = model.whisper.transcribe(
        np.ascontiguousarray(audio, dtype=np.float32), language=language, beam_size=beam_size,
        condition_on_previous_text=False, vad_filter=True, vad_parameters=settings.to_faster_whisper(),
        word_timestamps=True, max_new_tokens=max_new_tokens(speech_s, language),
        temperature=list(FALLBACK_TEMPERATURES))
    out = []
    for s in segments:  # a generator: decoding happens here
        if on_segment is not None:
            on_segment(float(s.end))
        words = [Word(float(w.start), float(w.end), w.word.strip(), float(w.probability)) for w in (s.words or [])]
        out.append(TranscriptSegment(float(s.start), float(s.end), s.text.strip(), float(s.avg_logprob),
                                     float(s.no_speech_prob), float(s.compression_ratio),
                                     float(s.temperature or 0.0), words, channel, language))
    return out


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


def _check_language(model, language: str | None) -> None:
    from ..errors import UsageError
    from ..languages import LANGUAGES

    if language is None:
        return
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}",
                         hint="use a Whisper language code such as en, de, fr, zh (see docs/transcribe.md)")
    if not model.multilingual and language != "en":
        raise UsageError(f"speech model {model.name} is English-only; it cannot transcribe {language!r}",
                         hint="leave out --asr-model: the default, Whisper base, knows 99 languages")


def transcribe(
    source: str | os.PathLike | np.ndarray,
    model=None,
    *,
    sr: int = SAMPLE_RATE,
    word_timestamps: bool = False,
    language: str | None = None,
    translate: bool = False,
    channels: ChannelMode = "auto",
    beam_size: int = 5,
    vad: VadSettings | None = None,
    cache=None,
    progress: Callable[[float, float], None] | None = None,
) -> TranscriptResult:
    """Transcribe a media file, or float32 audio (mono ``(n,)`` or channels-first ``(c, n)``) at ``sr`` Hz.

    ``model``: a :class:`vidmm.models.speech.SpeechModel`, a model name/path, or None for the default
    (loaded once per process). ``word_timestamps``: show each segment's words in ``to_dict()`` (they are
    always computed). ``language``: force one language (a Whisper code such as ``de``).
    ``translate``: add the English translation of every segment in another language (``translation``).
    ``channels``: "auto" transcribes independent stereo channels apart, "mix" never, "split" always.
    ``cache``: a :class:`vidmm.cache.Cache`; a file transcribed before (same content, model and
    settings) is read back instead of decoded again, so caption and ask on one clip share one pass (a
    translation asked for later is added to the cached transcript).
    ``progress(done_s, total_s)``: called as decoding advances (the CLI draws a bar with it).
    """
    from ..models.speech import SpeechModel, load_speech_model

    if channels not in ("auto", "mix", "split"):
        raise ValueError(f"channels must be auto, mix or split, not {channels!r}")
    if not isinstance(model, SpeechModel):
        model = load_speech_model(model)
    _check_language(model, language)
    settings = vad or VadSettings()
    start_time = time.perf_counter()
    file = None if isinstance(source, np.ndarray) else str(source)
    key = result = None
    if cache is not None and file is not None and getattr(cache, "enabled", False):
        from ..cache import file_identity, make_key
        from ..media.source import check_readable

        check_readable(file)
        key = make_key(TRANSCRIBE_VERSION, file_identity(file), model.path, model.compute_type, language,
                       channels, beam_size, settings)
        hit = cache.get("transcript", key)
        if hit is not None:
            result = TranscriptResult.from_record(hit[1])
            result.file = file
    if result is None:
        result = _transcribe(source, file, model, sr, language, channels, beam_size, settings, progress)
        if key is not None and not (translate and needs_translation(result.segments)):
            cache.put("transcript", key, {}, result.to_record())
    if translate and needs_translation(result.segments):
        _translate(result, source, model, sr, channels, beam_size)
        if key is not None:
            cache.put("transcript", key, {}, result.to_record())
    result.include_translation = translate
    result.include_words = word_timestamps
    result.elapsed_s = time.perf_counter() - start_time
    return result


def _translate(result: TranscriptResult, source, model, sr: int, channels: ChannelMode, beam_size: int) -> None:
    """Translate the segments not in English, each from the track (channel) it was decoded from."""
    audio = _load(source, sr, channels)
    tracks = audio[None] if audio.ndim == 1 else audio
    for ch in sorted({s.channel for s in result.segments}, key=lambda c: -1 if c is None else c):
        track = _to_mono(tracks) if ch is None else tracks[ch]
        segs = [s for s in result.segments if s.channel == ch]
        translate_segments(model, track, segs, beam_size, SAMPLE_RATE,
                           {"temperature": list(FALLBACK_TEMPERATURES),
                            "max_new_tokens": max_new_tokens(max(s.duration for s in segs), "en")})


def _transcribe(source, file, model, sr, language, channels, beam_size, settings: VadSettings,
                progress=None) -> TranscriptResult:
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
    runs: list[LanguageRun] = []
    for ch, (track, spans) in enumerate(tracks):
        if speech_seconds(spans) < MIN_SPEECH_S:
            continue
        tick = None
        if progress is not None:
            def tick(t: float, ch: int = ch, dur: float = result.duration, n: int = len(tracks)) -> None:
                progress(ch * dur + min(t, dur), dur * n)
        track_runs = language_runs(model, track, spans, sr, language)
        for run in track_runs:
            part = track if len(track_runs) == 1 else _only(track, run, sr)
            decoded.extend(_decode(model, part, run.speech_s, settings, run.language, beam_size,
                                   ch if len(tracks) > 1 else None, tick))
        runs.extend(track_runs)
    decoded.sort(key=lambda s: (s.start, s.channel or 0))
    for seg in decoded:
        seg.end = min(seg.end, result.duration)  # VAD padding can reach past the end of the audio
        seg.start = min(seg.start, seg.end)
        reason = screen_segment(seg)
        if reason:
            result.dropped.append(DroppedSegment(seg, reason))
        else:
            seg.uncertain = flag_segment(seg)
            result.segments.append(seg)
    result.avg_logprob = weighted_logprob(result.segments)
    if model.multilingual:
        _name_languages(result, runs)
    else:
        judge_english(result, model)
    if not result.segments and not result.warning:
        result.notes.append("sound the speech detector took for speech, but nothing was said clearly")
    return result


def _only(track: np.ndarray, run: LanguageRun, sr: int) -> np.ndarray:
    """The track with everything outside ``run`` silenced (times stay in the track's clock)."""
    out = np.zeros_like(track)
    a, b = int(run.start * sr), int(run.end * sr)
    out[a:b] = track[a:b]
    return out


def _name_languages(result: TranscriptResult, runs: list[LanguageRun]) -> None:
    """The file's language: the one spoken longest; its probability; a warning when it is unsure."""
    if not result.segments:
        return
    result.language = result.languages[0][0]
    mine = [r for r in runs if r.language == result.language and r.probability is not None]
    if mine:
        w = np.array([max(r.speech_s, 1e-3) for r in mine])
        result.language_probability = float((w * np.array([r.probability for r in mine])).sum() / w.sum())
    if result.language_probability is not None and result.language_probability < LANGUAGE_MIN_PROBABILITY:
        from ..languages import language_name

        result.warning = (f"language uncertain: {language_name(result.language)} ({result.language}) with "
                          f"probability {result.language_probability:.2f}; pass --language to set it")


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
