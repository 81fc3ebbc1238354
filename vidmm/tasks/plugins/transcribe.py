"""``transcribe``: speech to text with faster-whisper, as a timeline (vidmm.tasks.transcribe computes it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...errors import UsageError
from ..base import ALL_FORMATS, CommonOptions, Task, opt

CHANNELS = ("auto", "mix", "split")


@dataclasses.dataclass
class TranscribeOptions(CommonOptions):
    asr_model: str | None = opt(None, load=True, help=(
        "Whisper model: base (the default: 99 languages), tiny.en (English only, about 3x faster), a local "
        "CTranslate2 folder, or a name (small, Systran/faster-whisper-small) in the Hugging Face cache."))
    word_timestamps: bool = opt(False, hashed="if-set", flag="--words", aliases=("--word-timestamps",), help=(
        "Time every word, with its confidence (json: transcript[].words). Subtitles always use word times."))
    language: str | None = opt(None, hashed="if-set", help=(
        "Force the spoken language, e.g. de (default: detected stretch by stretch)."))
    translate: bool = opt(False, hashed="if-set", help=(
        "Add an English translation beside the original text (json: translation; txt, srt and vtt show the "
        "English)."))
    channels: str = opt("auto", hashed="if-set", help=(
        "auto: transcribe independent stereo channels (one speaker each) apart; mix: always mix to mono; "
        "split: always apart."))
    device: str = opt("cpu", hashed=False, load=True, help="cpu or cuda.")


class TranscribeTask(Task):
    """Speech to text in 99 languages (txt/srt/vtt/json): a language per segment, word timings with their
    confidence, an English translation beside the text, voice-activity filtering."""

    name = "transcribe"
    summary = "Speech to text in 99 languages (txt/srt/vtt/json), a language per segment, translation."
    Options = TranscribeOptions
    kinds = frozenset({"video", "audio"})
    formats = ALL_FORMATS
    timeline = "transcript"
    uses_backbone = False
    default_file_format = "srt"
    kind_hint = {**Task.kind_hint, "image": "a photo holds no speech; use `vidmm caption` or `vidmm ask` for photos"}

    def check(self, opts) -> None:
        super().check(opts)
        if opts.channels not in CHANNELS:
            raise UsageError(f"unknown --channels {opts.channels!r}", hint=f"use one of {', '.join(CHANNELS)}")
        if opts.device not in ("cpu", "cuda"):
            raise UsageError(f"unknown --device {opts.device!r}", hint="use cpu or cuda")
        if opts.language is not None:
            from ...languages import LANGUAGES

            if opts.language not in LANGUAGES:
                raise UsageError(f"unknown --language {opts.language!r}",
                                 hint="use a Whisper language code such as en, de, fr, zh (docs/transcribe.md)")

    def for_formats(self, opts, formats):
        """Subtitles are cut at word times: srt and vtt put the words in the record (always computed)."""
        if {"srt", "vtt"} & set(formats) and not opts.word_timestamps:
            return dataclasses.replace(opts, word_timestamps=True)
        return opts

    def load(self, extractor, opts):
        from ...models.speech import load_speech_model

        model = load_speech_model(opts.asr_model, device=opts.device)
        if opts.language not in (None, "en") and not model.multilingual:
            raise UsageError(f"speech model {model.name} is English-only; it cannot transcribe {opts.language!r}",
                             hint="leave out --asr-model: the default, Whisper base, knows 99 languages")
        return model

    def run(self, path, extractor, model, opts, progress=None):
        from ..transcribe import transcribe

        settings = {"word_timestamps": opts.word_timestamps, "language": opts.language, "channels": opts.channels,
                    "translate": opts.translate}
        if extractor.span(path) is not None and extractor.probe(path).has_audio:  # --start/--end
            result = extractor.transcript(path, model, progress=progress, **settings)
        else:
            cache = extractor.cache if extractor.cache.enabled else None
            result = transcribe(path, model, cache=cache, progress=progress, **settings)
        result.include_words = opts.word_timestamps
        return result

    def cues(self, record: dict):
        """Subtitle cues: a segment's timed words as whisper's writer cuts them (lines of 42 columns, two lines
        and at most 7 s a cue, a new cue after a 3 s pause; vidmm.writers.subtitles), or the segment cut in
        proportion to length when it has no word times. With ``--translate`` (the record has
        ``translation``) the cues hold the English, cut in proportion to length."""
        from ...writers.subtitles import LINE_WIDTH, MAX_LINES, split_by_length, split_long_cue

        limit = LINE_WIDTH * MAX_LINES
        english = "translation" in record
        cues = []
        for seg in record.get("transcript") or []:
            start, end = float(seg["start"]), float(seg["end"])
            text = str((seg.get("translation") if english else seg.get("text")) or "")
            if seg.get("words") and not english:
                words = _spaced([(w["start"], w["end"], w["text"]) for w in seg["words"]], text)
                cues.extend(split_long_cue(words, limit, joiner=""))
            else:
                cues.extend(split_by_length(start, end, text, limit))
        return cues

    def text(self, record: dict) -> str:
        """Plain text, one segment a line (its English with ``--translate``); nothing when nothing was said."""
        key = "translation" if "translation" in record else "text"
        return "".join(str(s.get(key) or "") + "\n" for s in record.get("transcript") or [])

    def note(self, record: dict):
        return record.get("warning") or ("; ".join(record["notes"]) if record.get("notes") else None)

    def messages(self, record: dict) -> list[str]:
        return super().messages(record) + [f"note: {record.get('file')}: {n}" for n in record.get("notes") or []]

    def output_stem(self, record: dict) -> str:
        return Path(str(record.get("file"))).stem  # FILE.srt, as whisper's CLI names it


def _spaced(words: list[tuple[float, float, str]], text: str) -> list[tuple[float, float, str]]:
    """Words with the space that comes before each in the segment's text (none inside "self-starter", none
    between Chinese words), as whisper's writer joins them."""
    out, pos = [], 0
    for a, b, w in words:
        at = text.find(w, pos)
        space = at > 0 and text[at - 1].isspace() if at >= 0 else bool(out)
        out.append((a, b, (" " if space else "") + w))
        pos = at + len(w) if at >= 0 else pos
    return out


def register_tasks(register) -> None:
    register(TranscribeTask)
