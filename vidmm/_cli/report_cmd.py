"""`vidmm report VIDEO... --out report.html`: one self-contained HTML page with every result per video.

Results are read from batch logs (``--from results.jsonl``, repeatable) where present, and the missing
tasks are run (``--no-run`` to only show what the logs hold). Registered by the lead with
``app.command("report")(report)``. Exit 0 when every video could be read, 1 when some could not
(they are in the page with their error), 2 usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import common


def report(
    videos: Annotated[list[str], typer.Argument(help="Video files or folders.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path("report.html"),
    from_: Annotated[list[Path] | None, typer.Option(
        "--from", help="Batch JSONL logs to take results from (repeatable); missing tasks are run.")] = None,
    tasks: Annotated[str, typer.Option(
        "--tasks", help="Comma-separated: which results to show (info is always included).")]
    = "info,scene,emotion,transcribe,ocr",
    run: Annotated[bool, typer.Option("--run/--no-run", help="Run tasks the logs do not have.")] = True,
    labels: Annotated[str | None, typer.Option("--labels", help="scene: comma-separated labels.")] = None,
    vocab: Annotated[str | None, typer.Option("--vocab", help="scene: scenes, actions, objects or all.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", help="scene: labels kept per clip and per shot.")] = 5,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="transcribe: Whisper model.")] = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video.")] = 32,
    title: Annotated[str, typer.Option("--title", help="Page title.")] = "vidmm report",
) -> None:
    """Thumbnails, timeline of shots, labels, emotions, transcript and on-screen text for each video, in one
    HTML page."""
    from ..batch.inputs import expand_inputs
    from ..batch.report import REPORT_TASKS, Collector, load_records
    from ..errors import UsageError
    from ..fileio import atomic_write_text
    from ..tasks.registry import tasks as registered
    from ..writers.report_html import render_report

    wanted = tuple(dict.fromkeys(["info", *[t.strip() for t in tasks.split(",") if t.strip()]]))
    unknown = [t for t in wanted if t not in registered()]
    if unknown:
        raise common.fail(UsageError(f"unknown task {unknown[0]!r}", hint=f"use {', '.join(REPORT_TASKS)}"))
    try:
        records = load_records(from_ or [])
    except OSError as err:
        raise common.fail(UsageError(f"cannot read --from log: {err}")) from None
    files = expand_inputs(videos)
    if not files:
        raise common.fail(UsageError("no input files found"))
    options = {"labels": labels, "vocab": vocab, "top_k": top_k, "asr_model": asr_model, "max_frames": max_frames}
    collector = Collector(wanted, options, records, run_missing=run)
    show = not common.OPTIONS.quiet and sys.stderr.isatty()
    reports = []
    status = common.stderr_console().status("") if show else None
    if status is not None:
        status.start()
    try:
        for i, f in enumerate(files, 1):
            def tick(path, task, i=i):
                if status is not None:
                    status.update(f"[{i}/{len(files)}] {Path(path).name}: {task}")

            reports.append(collector.collect(f, progress=tick))
    finally:
        if status is not None:
            status.stop()
    atomic_write_text(out, render_report(reports, title))
    failed = [r for r in reports if r.failed]
    for r in failed:
        print(f"vidmm: error: {r.results['info']['error']['message']}", file=sys.stderr)
    if not common.OPTIONS.quiet:
        print(f"vidmm: wrote {out} ({len(reports)} video(s), {out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    raise typer.Exit(1 if failed else 0)
