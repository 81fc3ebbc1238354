"""`vidmm transcribe VIDEO...`: speech to text as a table, txt, srt, vtt or json.

Parses options, calls vidmm.tasks.transcribe.transcribe, renders. Registered by the lead with
``app.command("transcribe")(transcribe)``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import common

_FORMATS = ("txt", "srt", "vtt", "json", "all")
_CHANNELS = ("auto", "mix", "split")
#: Written when --output-dir is given without --format: the file people want next to a video.
_DEFAULT_FILE_FORMAT = "srt"


def _clock(seconds: float) -> str:
    m, s = divmod(max(seconds, 0.0), 60)
    return f"{int(m):02d}:{s:04.1f}"


def render_human(result) -> None:
    """People's view: a header line, one line per segment, notes and warnings."""
    con = common.stdout_console()
    lang = result.language or "-"
    con.print(f"[bold]{result.file}[/]  {result.duration:.1f} s   language: {lang}   model: {result.model}")
    for seg in result.segments:
        who = f"[dim]ch{seg.channel}[/] " if seg.channel is not None else ""
        con.print(f"[cyan]{_clock(seg.start)} → {_clock(seg.end)}[/]  {who}{seg.text}")
    if not result.segments:
        con.print("[dim](no transcript)[/]")
    for note in result.notes:
        con.print(f"[yellow]note:[/] {note}")
    if result.warning:
        con.print(f"[bold yellow]warning:[/] {result.warning}")


def _warn_stderr(result) -> None:
    """In machine modes stdout holds only the document: notes and warnings go to stderr."""
    if common.OPTIONS.quiet:
        return
    if result.warning:
        print(f"vidmm: warning: {result.file}: {result.warning}", file=sys.stderr)
    for note in result.notes:
        print(f"vidmm: note: {result.file}: {note}", file=sys.stderr)


def transcribe(
    videos: Annotated[list[str], typer.Argument(help="Video or audio files.", show_default=False)],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="txt, srt, vtt, json, or all (all needs --output-dir).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    asr_model: Annotated[str | None, typer.Option(
        "--asr-model", help="Whisper model: a local CTranslate2 folder, or a name (small, base.en, "
                            "Systran/faster-whisper-small) present in the Hugging Face cache. "
                            "Default: the embedded tiny.en (English only).")] = None,
    output_dir: Annotated[Path | None, typer.Option(
        "--output-dir", help="Write FILE.<format> here (srt when no --format) instead of stdout.")] = None,
    word_timestamps: Annotated[bool, typer.Option(
        "--word-timestamps", help="Time every word (json: transcript[].words). Subtitles always use word times.")]
    = False,
    language: Annotated[str | None, typer.Option(
        "--language", help="Force the spoken language (multilingual models only), e.g. de.")] = None,
    channels: Annotated[str, typer.Option(
        "--channels", help="auto: transcribe independent stereo channels (one speaker each) apart; "
                           "mix: always mix to mono; split: always apart.")] = "auto",
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write cached transcripts.")] = False,
) -> None:
    """Speech to text (txt/srt/vtt/json), with timestamps, language and voice-activity filtering."""
    from ..errors import UsageError

    if fmt is not None and fmt not in _FORMATS:
        raise common.fail(UsageError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(_FORMATS)}"))
    if channels not in _CHANNELS:
        raise common.fail(UsageError(f"unknown --channels {channels!r}", hint=f"use one of {', '.join(_CHANNELS)}"))
    if fmt == "all" and output_dir is None:
        raise common.fail(UsageError("--format all writes several files", hint="add --output-dir DIR"))
    if fmt in ("srt", "vtt") and len(videos) > 1 and output_dir is None:
        raise common.fail(UsageError("subtitles of several files need --output-dir"))
    if json_out and fmt not in (None, "json") and output_dir is None:
        raise common.fail(UsageError(f"--json and --format {fmt} both want stdout", hint="pick one"))

    from ..errors import VidmmError
    from ..models.speech import load_speech_model
    from ..tasks.transcribe import transcribe as run_transcribe
    from ..writers.transcript import FORMATS, render_transcript, write_transcript

    try:  # once, before any file: a missing model is not any one file's fault
        model = load_speech_model(asr_model, device=device)
    except VidmmError as err:
        raise common.fail(err) from None
    if language not in (None, "en") and not model.multilingual:
        raise common.fail(UsageError(f"speech model {model.name} is English-only; it cannot transcribe {language!r}",
                                     hint="pass --asr-model with a multilingual model, e.g. small"))
    # Subtitles read best in short cues, which need word times; the alignment costs little.
    words_needed = word_timestamps or fmt in ("srt", "vtt", "all") or (output_dir is not None and fmt is None)
    machine = common.machine_output(json_out, fmt)
    docs: list[dict] = []
    file_formats = (list(FORMATS) if fmt == "all" else [fmt or _DEFAULT_FILE_FORMAT]) if output_dir else []

    from ..cache import Cache

    cache = Cache(enabled=not no_cache)

    show_progress = not common.OPTIONS.quiet and sys.stderr.isatty()

    def compute(path: str):
        if not show_progress:
            return run_transcribe(path, model, word_timestamps=words_needed, language=language,
                                  channels=channels, cache=cache)
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), console=common.stderr_console(), transient=True) as bar:
            task = bar.add_task(f"transcribing {Path(path).name}", total=None)

            def tick(done: float, total: float) -> None:
                bar.update(task, completed=done, total=max(total, 1e-9))

            return run_transcribe(path, model, word_timestamps=words_needed, language=language,
                                  channels=channels, cache=cache, progress=tick)

    def render(result) -> None:
        for f in file_formats:
            written = write_transcript(result, f, output_dir, words=word_timestamps)
            if not common.OPTIONS.quiet:
                print(f"vidmm: wrote {written}", file=sys.stderr)
        if output_dir is not None and not json_out:
            _warn_stderr(result)
            return
        if fmt in ("txt", "srt", "vtt") and not json_out:
            sys.stdout.write(render_transcript(result, fmt, words=word_timestamps))
            sys.stdout.flush()
            _warn_stderr(result)
        elif machine:  # --json, --format json, or stdout is not a terminal: the JSON document
            docs.append(result.to_dict(words=word_timestamps))
            _warn_stderr(result)
        else:
            render_human(result)

    code = common.run_inputs(videos, compute, render)
    if docs:
        common.emit_results(docs, json_out)
    raise typer.Exit(code)
