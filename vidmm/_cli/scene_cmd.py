"""`vidmm scene VIDEO...`: ranked scene/action labels for the clip and for each shot, zero-shot.

Parses options, calls vidmm.tasks.scene.scene, renders (Rich table per shot, JSON/JSONL, SRT/VTT
timeline). Registered by the lead with ``app.command("scene")(scene)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common

_FORMATS = ("json", "jsonl", "srt", "vtt")


def _label_line(labels, n: int = 3) -> str:
    return ", ".join(f"{x.label} {x.score:.2f}" for x in labels[:n])


def subtitles(result, fmt: str, n: int = 3) -> str:
    """The shot labels as a timeline: one SRT/WebVTT cue per shot (vidmm.writers.subtitles)."""
    from ..tasks.scene import NONE_LABEL
    from ..writers.subtitles import to_srt, to_vtt

    cues = []
    for seg in result.segments:
        text = _label_line(seg.labels, n)
        cues.append((seg.start, seg.end, f"{NONE_LABEL} (closest: {text})" if seg.none_of_these else text))
    return to_srt(cues) if fmt == "srt" else to_vtt(cues)


def _shares(modalities: dict | None) -> str:
    return ", ".join(f"{k} {100 * v:.0f}%" for k, v in (modalities or {}).items())


def render_table(result, explain: bool) -> None:
    from rich.table import Table

    from ..tasks.scene import NONE_LABEL

    con = common.stdout_console()
    dur = f"{result.duration:.1f} s" if result.duration else "unknown length"
    top = result.labels[0] if result.labels else None
    head = f"[bold]{NONE_LABEL}[/] (closest: {top.label})" if result.none_of_these or top is None \
        else f"[bold]{top.label}[/] {top.score:.2f}"
    con.print(f"[bold]{result.file}[/]  {dur}, {len(result.segments)} shot(s)   scene: {head}")
    con.print(f"overall: {_label_line(result.labels, len(result.labels))}", highlight=False)
    mods = explain and any(x.modalities for x in result.labels)  # a fusion head: frames and modalities
    if mods:
        for x in result.labels[:3]:
            frames = ", ".join(f"{t:.2f} s ({w:.2f})" for t, w in zip(x.frames or [], x.frame_weights or []))
            con.print(f"why {x.label}: frames {frames}; {_shares(x.modalities)}", highlight=False)
    t = Table(title_justify="left")
    t.add_column("shot", justify="right")
    t.add_column("start", justify="right")
    t.add_column("end", justify="right")
    t.add_column("labels", overflow="fold")
    if explain:
        t.add_column("frames (s) behind the top label", overflow="fold")
    if mods:
        t.add_column("modalities (top label)", overflow="fold")
    for i, seg in enumerate(result.segments, 1):
        text = _label_line(seg.labels, len(seg.labels))
        if seg.none_of_these:
            text = f"[dim]{NONE_LABEL}[/] (closest: {text})"
        row = [str(i), f"{seg.start:.2f}", f"{seg.end:.2f}", text]
        if explain:
            row.append(", ".join(f"{x:.2f}" for x in (seg.labels[0].frames or [])) if seg.labels else "")
        if mods:
            row.append(_shares(seg.labels[0].modalities) if seg.labels else "")
        t.add_row(*row)
    con.print(t)


def scene(
    videos: Annotated[list[str], typer.Argument(help="Video files.", show_default=False)],
    labels: Annotated[str | None, typer.Option("--labels", help='Comma-separated labels, e.g. "beach,city street".')]
    = None,
    labels_file: Annotated[Path | None, typer.Option(
        "--labels-file", help="One label per line; # comments; 'label: description' embeds the description.")] = None,
    vocab: Annotated[str | None, typer.Option(
        "--vocab", help="Built-in labels: scenes (Places365), actions (Kinetics-400), objects, all (default).")]
    = None,
    top_k: Annotated[int, typer.Option("--top-k", help="Labels shown per clip and per shot.")] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    fmt: Annotated[str | None, typer.Option("--format", help="json, jsonl, srt or vtt (shot labels as a timeline).")]
    = None,
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="Write FILE.scene.srt/vtt here.")] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Name the frames (times) that drove each label; with "
                                                            "--head also their weights and each modality's share.")]
    = False,
    backbone: Annotated[str | None, typer.Option("--backbone", help="Backbone name or path (default: embedded).")]
    = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video (with --head: as the head was trained).")] = 32,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the feature cache.")] = False,
    head: Annotated[Path | None, typer.Option("--head", help="Trained head folder (`vidmm train`) instead of zero-shot.")]
    = None,
    sound_weight: Annotated[float, typer.Option(
        "--sound-weight", help="Let YAMNet's audio events count for labels about a sound (e.g. applause, concert) "
        "with this weight; 0 (default) = frames only. Measured on the labelled clips: no gain, so off.")] = 0.0,
) -> None:
    """Scene and action labels for the clip and each shot (zero-shot, any label set)."""
    from ..errors import UsageError
    from ..labels import resolve_labels

    if fmt is not None and fmt not in _FORMATS:
        raise common.fail(UsageError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(_FORMATS)}"))
    if fmt in ("srt", "vtt") and len(videos) > 1 and output_dir is None:
        raise common.fail(UsageError("subtitles of several files need --output-dir"))
    if top_k < 1 or max_frames < 1:
        raise common.fail(UsageError("--top-k and --max-frames must be at least 1"))
    if not sound_weight >= 0:
        raise common.fail(UsageError("--sound-weight must be 0 or more"))
    try:
        label_set = resolve_labels(labels, labels_file, vocab)
    except UsageError as err:
        raise common.fail(err) from None

    from ..cache import Cache
    from ..features import Extractor
    from ..tasks.scene import Scorer
    from ..tasks.scene import scene as run_scene

    machine = common.machine_output(json_out, fmt)
    extractor = Extractor(backbone=backbone, cache=Cache(enabled=not no_cache), max_frames=max_frames)
    state: dict = {}
    docs: list[dict] = []

    trained = None if head is None else common.load_head(head, task="scene")  # an emotion head: exit 4

    def compute(path: str):
        extractor.require_video(path)  # a bad file fails before any model is loaded
        if trained is not None:
            trained.check_backbone(extractor.backbone.fingerprint)  # ModelFileError (exit 4) stops the run
            return run_scene(path, extractor, top_k=top_k, explain=explain, head=trained)
        if "scorer" not in state:
            with common.status(f"loading the backbone and embedding {len(label_set)} labels (cached after the first run)"):
                state["scorer"] = Scorer.build(extractor.backbone, label_set, extractor.cache)
            state["yamnet"], state["unavailable"] = None, {}
            if sound_weight > 0:
                from ..errors import ModelMissingError
                from ..models.audio_events import load_yamnet

                try:
                    state["yamnet"] = load_yamnet()
                except ModelMissingError as err:  # frames alone still answer; say what was left out
                    state["unavailable"]["audio_events"] = err.one_line()
                    common.stderr_console().print(f"[dim]sounds not used: {err.one_line()}[/]", highlight=False)
        return run_scene(path, extractor, top_k=top_k, explain=explain, scorer=state["scorer"],
                         yamnet=state["yamnet"], sound_weight=sound_weight, unavailable=state["unavailable"])

    def render(result) -> None:
        if fmt in ("srt", "vtt"):
            common.emit_text(subtitles(result, fmt), output_dir, result.file, "scene", fmt)
        elif fmt == "jsonl":
            common.print_jsonl(result.to_dict())
        elif machine:
            docs.append(result.to_dict())
        else:
            render_table(result, explain)

    code = common.run_inputs(videos, compute, render)
    if docs:
        common.emit_results(docs, json_out)
    raise typer.Exit(code)
