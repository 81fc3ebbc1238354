"""`vidmm caption VIDEO...`: one sentence for the clip and one per shot (words, faces, sounds, speech).

Parses options, calls vidmm.tasks.caption.caption, renders (Rich for people; JSON/JSONL; SRT/VTT with
one cue per shot; plain text). Registered by the lead with ``app.command("caption")(caption)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common

_FORMATS = ("json", "jsonl", "srt", "vtt", "txt")


def render_human(result, long: bool) -> None:
    con = common.stdout_console()
    dur = f"{result.duration:.1f} s" if result.duration else "unknown length"
    con.print(f"[bold]{result.file}[/]  {dur}, {len(result.segments)} shot(s)")
    con.print(f"[bold green]{result.paragraph if long and result.paragraph else result.caption}[/]")
    if len(result.segments) > 1:
        for s in result.segments:
            con.print(f"  [cyan]{s.start:6.2f} → {s.end:6.2f}[/]  {s.caption}")
    missing = result.models.get("unavailable") or {}
    if missing and not common.OPTIONS.quiet:
        names = " and ".join({"face_detector": "faces", "audio_events": "sounds"}.get(k, k) for k in missing)
        common.stderr_console().print(f"[dim]{names} not analysed: run `vidmm models pull all` "
                                      "(or set VIDMM_MODELS=DIR) to add them[/]")


def caption(
    videos: Annotated[list[str], typer.Argument(help="Video files.", show_default=False)],
    long: Annotated[bool, typer.Option("--long", help="A short paragraph instead of one sentence.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    fmt: Annotated[str | None, typer.Option("--format", help="json, jsonl, srt, vtt (one cue per shot) or txt.")]
    = None,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="Write FILE.caption.srt/vtt/txt here.")]
    = None,
    backbone: Annotated[str | None, typer.Option("--backbone", help="Backbone name or path (default: embedded).")]
    = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video.")] = 32,
    no_speech: Annotated[bool, typer.Option("--no-speech", help="Do not transcribe (faster).")] = False,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="Whisper model name or folder.")] = None,
    captioner: Annotated[str | None, typer.Option(
        "--captioner", help="A vision-language model (folder or repo id in the local HF cache, e.g. "
                            "HuggingFaceTB/SmolVLM2-256M-Video-Instruct) writes the shot sentences.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the feature cache.")] = False,
) -> None:
    """One-sentence caption for each video, plus one per shot (and what is said).

    Words are used only above measured confidence thresholds and hedged below them. The embedded
    default backbone knows objects, animals and places far better than human actions: actions are
    rarely named with it; a CLIP backbone (--backbone) or --captioner does better.
    """
    from ..errors import UsageError

    if fmt is not None and fmt not in _FORMATS:
        raise common.fail(UsageError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(_FORMATS)}"))
    if fmt in ("srt", "vtt") and len(videos) > 1 and output_dir is None:
        raise common.fail(UsageError("subtitles of several files need --output-dir"))
    if max_frames < 1:
        raise common.fail(UsageError("--max-frames must be at least 1"))

    from ..cache import Cache
    from ..features import Extractor
    from ..tasks.caption import CaptionModels
    from ..tasks.caption import caption as run_caption

    machine = common.machine_output(json_out, fmt)
    extractor = Extractor(backbone=backbone, cache=Cache(enabled=not no_cache), max_frames=max_frames)
    state: dict = {}
    docs: list[dict] = []

    def compute(path: str):
        extractor.require_video(path)  # a bad file fails before any model is loaded
        if "models" not in state:
            with common.status("loading models (vocabulary embeddings are cached after the first run)"):
                state["models"] = CaptionModels.load(extractor, speech=not no_speech, asr_model=asr_model,
                                                     captioner=captioner)
        return run_caption(path, extractor, state["models"], long=long)

    def render(result) -> None:
        if fmt in ("srt", "vtt", "txt"):
            from ..writers.subtitles import to_srt, to_vtt

            if fmt == "txt":
                text = result.paragraph if long and result.paragraph else result.caption
            else:
                cues = result.cues()
                text = to_srt(cues) if fmt == "srt" else to_vtt(cues)
            common.emit_text(text, output_dir, result.file, "caption", fmt)
        elif fmt == "jsonl":
            common.print_jsonl(result.to_dict())
        elif machine:
            docs.append(result.to_dict())
        else:
            render_human(result, long)

    code = common.run_inputs(videos, compute, render)
    if docs:
        common.emit_results(docs, json_out)
    raise typer.Exit(code)
