"""`vidmm emotion VIDEO...`: overall emotion and a per-segment timeline, faces and voice fused.

Parses options, calls vidmm.tasks.emotion.analyze, renders (Rich tables, JSON, SRT/VTT). Registered
by the lead with ``app.command("emotion")(emotion)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common

_FORMATS = ("json", "srt", "vtt")


def subtitles(result, fmt: str) -> str:
    """The timeline as SRT or WebVTT: one cue per segment with its label, score and evidence."""
    from ..timecode import Timecode

    lines = ["WEBVTT", ""] if fmt == "vtt" else []
    for i, seg in enumerate(result.segments, 1):
        a, b = Timecode(seg.start), Timecode(seg.end)
        if fmt == "srt":
            lines += [str(i), f"{a.srt()} --> {b.srt()}"]
        else:
            lines += [f"{a.vtt()} --> {b.vtt()}"]
        lines += [seg.caption()] + ([seg.text] if seg.text else []) + [""]
    return "\n".join(lines)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def render_table(result) -> None:
    """People's view: a summary line, the face tracks and the timeline."""
    from rich.table import Table

    con = common.stdout_console()
    if result.label is None:
        head = "[bold]no evidence[/]"
    else:
        head = f"[bold]{result.label}[/] {result.score:.2f} (from {result.evidence.replace('+', ' + ')})"
    av = "" if result.arousal is None else f"   arousal {result.arousal:+.2f}, valence {result.valence:+.2f}"
    con.print(f"[bold]{result.file}[/]  {result.duration:.1f} s   emotion: {head}{av}")
    if result.head is not None:
        _render_head(con, result)
        return
    con.print(f"faces: {len(result.tracks)} (up to {result.max_faces} at once, in {result.frames_with_faces} of "
              f"{result.frames} sampled frames)   visual: {result.modalities.get('visual')}   "
              f"voice: {result.modalities.get('vocal')}")
    for note in result.notes:
        con.print(f"[yellow]note:[/] {note}")
    if result.tracks:
        t = Table(title="faces", title_justify="left")
        for col in ("face", "seen", "frames", "expression", "score"):
            t.add_column(col)
        for tr in result.tracks:
            t.add_row(f"face {tr.face}", f"{tr.first:.1f}-{tr.last:.1f} s", str(tr.frames), tr.label,
                      f"{tr.probs.max():.2f}")
        con.print(t)
    t = Table(title="timeline", title_justify="left")
    for col in ("start", "end", "emotion", "score", "faces", "visual", "voice", "prosody / said"):
        t.add_column(col, overflow="fold")
    for s in result.segments:
        vis = "-" if s.visual is None else (f"{s.visual.label} ({_pct(s.visual.contribution)})"
                                            if s.visual.label else "no face")
        if s.vocal is None:
            voc = "-"
        else:
            cue = s.vocal.detail.get("cue") or s.vocal.detail.get("top_cue") or "-"
            voc = f"{cue} ({_pct(s.vocal.contribution)})"
        extra = s.text or ""
        pro = (s.vocal.detail.get("prosody") if s.vocal else None) or {}
        if pro and not extra:
            extra = f"pitch {pro['pitch_hz']:.0f} Hz, range {pro['pitch_range_st']:.1f} st, {pro['energy_db']:.0f} dB"
        t.add_row(f"{s.start:.1f}", f"{s.end:.1f}", s.label or "no evidence", f"{s.score:.2f}",
                  ", ".join(str(f) for f in s.faces) or "-", vis, voc, extra)
    con.print(t)


def _render_head(con, result) -> None:
    """A trained head's result: its name, why (frames, modality shares), and the timeline."""
    from rich.table import Table

    h, e = result.head, result.head["explanation"]
    m = e["modalities"]
    times = ", ".join(f"{f['time']:.2f} s" for f in e["frames"])
    audio = _pct(m["audio"]) if e["audio"] == "present" else "none (no audio, masked)"
    said = "" if "text" not in e else ", text " + (_pct(m["text"]) if e["text"] == "present" else "none (no speech)")
    con.print(f"head: {h['name']} ({', '.join(h['labels'])})   frames behind it: {times}   "
              f"visual {_pct(m['visual'])}, audio {audio}{said}", highlight=False)
    for note in result.notes:
        con.print(f"[yellow]note:[/] {note}")
    t = Table(title="timeline", title_justify="left")
    text = "text" in m
    for col in ("start", "end", "emotion", "score", "frames (s)", "visual", "audio") + (("text",) if text else ()) \
            + ("said",):
        t.add_column(col, overflow="fold")
    for s in result.segments:
        sh = s.shares or {}
        row = [f"{s.start:.1f}", f"{s.end:.1f}", s.label or "-", f"{s.score:.2f}",
               ", ".join(f"{f['time']:.2f}" for f in s.frames or []), _pct(sh.get("visual", 0.0)),
               "-" if s.vocal is None else _pct(sh.get("audio", 0.0))]
        if text:
            row.append(_pct(sh["text"]) if sh.get("text") else "-")
        t.add_row(*row, s.text or "")
    con.print(t)


def emotion(
    videos: Annotated[list[str], typer.Argument(help="Video (or audio) files.", show_default=False)],
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    fmt: Annotated[str | None, typer.Option("--format", help="json, srt or vtt (the timeline as subtitles).")] = None,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="Write FILE.emotion.srt/vtt here.")] = None,
    fps: Annotated[float, typer.Option("--fps", help="Frames sampled per second for faces.")] = 2.0,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video.")] = 60,
    segment: Annotated[float, typer.Option("--segment", help="Timeline segment length in seconds.")] = 3.0,
    detector: Annotated[str, typer.Option("--detector", help="yunet, ultraface-rfb-320 or ultraface-slim-320.")]
    = "yunet",
    speech: Annotated[bool, typer.Option("--speech", help="Also transcribe, to show what is said.")] = False,
    models_dir: Annotated[Path | None, typer.Option("--models-dir", help="Folder with model files.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the feature cache.")] = False,
    head: Annotated[Path | None, typer.Option(
        "--head", help="Trained emotion head (folder from `vidmm train --task emotion`, or heads/NAME in the "
                       "models folder) instead of faces + voice fused with fixed weights; frames are then sampled "
                       "as the head was trained (--fps, --max-frames and --detector do not apply).")] = None,
    backbone: Annotated[str | None, typer.Option(
        "--backbone", help="With --head: the backbone it was trained on (default: embedded).")] = None,
) -> None:
    """Overall emotion + per-segment timeline, faces and voice fused."""
    from ..errors import UsageError

    if fmt is not None and fmt not in _FORMATS:
        raise common.fail(UsageError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(_FORMATS)}"))
    if fmt in ("srt", "vtt") and len(videos) > 1 and output_dir is None:
        raise common.fail(UsageError("subtitles of several files need --output-dir"))
    if fps <= 0 or max_frames < 1 or segment <= 0:
        raise common.fail(UsageError("--fps, --max-frames and --segment must be positive"))

    from ..cache import Cache
    from ..features import Extractor
    from ..tasks.emotion import EmotionModels, analyze

    if backbone is not None and head is None:
        raise common.fail(UsageError("--backbone is used with --head", hint="add --head heads/NAME"))
    trained = None if head is None else common.load_head(head, task="emotion")  # a scene head: exit 4

    machine = common.machine_output(json_out, fmt)
    extractor = Extractor(backbone=backbone, cache=Cache(enabled=not no_cache))
    state: dict = {}
    docs: list[dict] = []

    def compute(path: str):
        if trained is not None:
            trained.check_backbone(extractor.backbone.fingerprint)  # ModelFileError (exit 4) stops the run
        elif "models" not in state:
            state["models"] = EmotionModels.load(models_dir, detector=detector)
        transcript = None
        if speech:
            from ..tasks.transcribe import transcribe

            if extractor.probe(path).has_audio:  # through the cache: a head that reads text reuses it
                cache = extractor.cache if extractor.cache.enabled else None
                transcript = transcribe(path, cache=cache).segments or None
        return analyze(path, extractor, state.get("models"), fps=fps, max_frames=max_frames, segment_s=segment,
                       transcript=transcript, head=trained)

    def render(result) -> None:
        if fmt in ("srt", "vtt"):
            common.emit_text(subtitles(result, fmt), output_dir, result.file, "emotion", fmt)
        elif machine:
            docs.append(result.to_dict())
        else:
            render_table(result)

    code = common.run_inputs(videos, compute, render)
    if docs:
        common.emit_results(docs, json_out)
    raise typer.Exit(code)
