"""`vidmm batch INPUT... --task TASK --out results.jsonl`: a folder's worth of files, never losing a result.

Parses options, calls vidmm.batch.run_batch, draws a Rich progress bar on stderr (terminal only, not
with -q) and a summary table at the end. Registered by the lead with ``app.command("batch")(batch)``.
Exit codes: 0 all inputs succeeded, 1 some failed (error records are in the output), 2 usage error,
130 interrupted by Ctrl-C, 143 by SIGTERM (what finished is written; re-run the same command to go on).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import common

HELP_OUT = ("Durable output (JSONL: one record per line, fsync'd as each file finishes). With --format csv|json "
            "the JSONL log is OUT.jsonl and OUT is rendered from it at the end.")


class _Bar:
    """files done / failed / per second / ETA, on stderr; each failed input's error line as it fails (also
    with -q, as the single commands print theirs) and each damaged or truncated one's warning."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.progress = None
        self.task = None

    def __call__(self, summary, record) -> None:
        if record is not None:
            self._say(record)
        if not self.enabled:
            return
        if self.progress is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("[green]{task.fields[ok]} ok[/] [red]{task.fields[failed]} failed[/]"),
                TextColumn("{task.fields[rate]}"), TextColumn("ETA"), TimeRemainingColumn(),
                console=common.stderr_console(), transient=True)
            self.progress.start()
            self.task = self.progress.add_task(summary.engine and f"batch ({summary.workers} workers)",
                                               total=summary.todo, ok=0, failed=0, rate="")
        rate = summary.done / summary.elapsed_s if summary.elapsed_s > 0 and summary.done else 0.0
        self.progress.update(self.task, completed=summary.done, ok=summary.ok, failed=summary.failed,
                             rate=f"{rate:.2f} files/s" if rate else "")

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()

    def _say(self, record: dict) -> None:
        from ..media.health import warnings

        if "error" in record:
            lines = [f"vidmm: error: {record['error'].get('message')}"]
        elif not common.OPTIONS.quiet:
            lines = [f"vidmm: warning: {record.get('file')}: {w}" for w in warnings(record)]
        else:
            lines = []
        for line in lines:
            if self.progress is not None:  # above the bar, which stays where it is
                self.progress.console.print(line, markup=False, highlight=False)
            else:
                print(line, file=sys.stderr, flush=True)


def render_summary(summary) -> None:
    from rich.table import Table

    t = Table(title="vidmm batch", title_justify="left", show_header=True)
    for col in ("ok", "failed", "skipped", "total", "workers", "time", "files/s"):
        t.add_column(col, justify="right")
    rate = summary.done / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
    t.add_row(f"[green]{summary.ok}[/]", f"[red]{summary.failed}[/]" if summary.failed else "0",
              str(summary.skipped) + (f" ({summary.skipped_failed} failed before)" if summary.skipped_failed else ""),
              str(summary.total), f"{summary.workers} ({summary.engine})",
              f"{summary.elapsed_s:.1f} s", f"{rate:.2f}")
    con = common.stderr_console()
    con.print(t)
    if summary.torn:
        con.print(f"[yellow]note:[/] {summary.torn} torn or damaged line(s) in the log were removed; "
                  "their files were redone")
    for out in summary.outputs:
        con.print(f"results: {out}" + (f"  (log: {summary.log})" if summary.log and summary.log != out else ""))
    if summary.interrupted:
        con.print("[yellow]interrupted:[/] finished files are saved; run the same command again to go on")


def batch(
    inputs: Annotated[list[str], typer.Argument(
        help="Video files, folders (searched recursively), or a .txt list of paths ('-' reads paths from stdin).",
        show_default=False)],
    task: Annotated[str, typer.Option("--task", help="A task: info, caption, ask, scene, emotion, transcribe, or a "
                                                     "plugin's.")] = ...,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=HELP_OUT)] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="jsonl, csv or json for --out (default: from its suffix); json, srt, vtt or txt for "
                         "--output-dir files.")] = None,
    segments: Annotated[bool, typer.Option("--segments", help="CSV: one row per segment (shot, timeline "
                                                              "segment, transcript line).")] = False,
    output_dir: Annotated[Path | None, typer.Option(
        "--output-dir", help="Also write one file per video here (FILE.TASK.json/srt/vtt/txt).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-j", help="Worker processes (default: one per core, fewer if memory is short).")] = None,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Skip inputs already in --out with the same content, task and options (re-running the "
                         "same command always does this).")] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Redo the inputs that have error records.")]
    = False,
    glob: Annotated[str | None, typer.Option("--glob", help="Only files in folders matching this, e.g. '*.mp4'.")]
    = None,
    engine: Annotated[str, typer.Option("--engine", help="local (worker processes) or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="Join this Ray cluster (e.g. auto or ray://host:10001); default starts a local one.")]
    = None,
    labels: Annotated[str | None, typer.Option("--labels", help='scene: comma-separated labels.')] = None,
    labels_file: Annotated[Path | None, typer.Option("--labels-file", help="scene: one label per line.")] = None,
    vocab: Annotated[str | None, typer.Option("--vocab", help="scene: scenes, actions, objects or all.")] = None,
    top_k: Annotated[int, typer.Option("--top-k", help="scene: labels kept per clip and per shot.")] = 5,
    head: Annotated[str | None, typer.Option(
        "--head", help="scene, emotion: a trained head (folder from `vidmm train`, or heads/NAME in the models "
                       "folder) instead of zero-shot labels / fixed-weight fusion.")] = None,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="transcribe: Whisper model name or folder.")]
    = None,
    question: Annotated[str | None, typer.Option("--question", help="ask: the question put to every video.")]
    = None,
    choices: Annotated[str | None, typer.Option("--choices", help='ask: candidate answers, "a|b|c".')] = None,
    long: Annotated[bool, typer.Option("--long", help="caption: a short paragraph as well.")] = False,
    backbone: Annotated[str | None, typer.Option("--backbone", help="Backbone name or path.")] = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video.")] = 32,
    start: Annotated[float | None, typer.Option("--start", help="Analyse each file from this time (s).")] = None,
    end: Annotated[float | None, typer.Option("--end", help="Analyse each file up to this time (s).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the feature cache.")] = False,
    opt: Annotated[list[str] | None, typer.Option(
        "--opt", help="Any option of the task as KEY=VALUE (repeatable), e.g. --opt fps=4 for emotion.")] = None,
    prefetch: Annotated[bool, typer.Option(
        "--prefetch/--no-prefetch", help="Decode the next file (shots, audio) in a thread while the model runs on "
                                          "this one. Off by default: no gain measured with one worker per core.")]
    = False,
) -> None:
    """Run one task over many files: durable JSONL (resumable), CSV or JSON, parallel workers or Ray."""
    import dataclasses

    from ..batch import BatchConfig, run_batch
    from ..batch.run import DIR_FORMATS, OUT_FORMATS, batch_task
    from ..errors import UsageError, VidmmError

    if workers is not None and workers < 1:
        raise common.fail(UsageError("--workers must be at least 1"))
    if fmt is not None and fmt not in OUT_FORMATS + DIR_FORMATS:
        raise common.fail(UsageError(f"unknown format {fmt!r}",
                                     hint=f"use one of {', '.join(dict.fromkeys(OUT_FORMATS + DIR_FORMATS))}"))
    if fmt in ("srt", "vtt", "txt") and output_dir is None:
        raise common.fail(UsageError(f"--format {fmt} writes one file per video", hint="add --output-dir DIR"))
    if out is None and output_dir is not None:
        out = output_dir / "results.jsonl"  # the durable log lives with the files
    # The task's options: the flags given (left at their defaults they say nothing) and --opt KEY=VALUE,
    # checked by the task itself before any work.
    given = {"labels": labels, "labels_file": None if labels_file is None else str(labels_file), "vocab": vocab,
             "top_k": None if top_k == 5 else top_k, "asr_model": asr_model, "backbone": backbone,
             "max_frames": None if max_frames == 32 else max_frames, "no_cache": no_cache or None,
             "question": question, "choices": choices, "long": long or None, "head": head,
             "start": start, "end": end}
    options = {k: v for k, v in given.items() if v is not None}
    for item in opt or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise common.fail(UsageError(f"--opt {item!r} is not KEY=VALUE", hint="e.g. --opt top_k=3"))
        options[key.strip().replace("-", "_")] = value
    try:
        the_task = batch_task(task)
        if options.get("head"):  # workers may run elsewhere (Ray): an absolute folder
            from ..fusion.store import resolve_head

            the_task.options(options)  # missing, damaged or another task's head: one line before any work
            options["head"] = str(resolve_head(options["head"]).resolve())
        out_fmt = fmt if fmt in ("jsonl", "csv") or (fmt == "json" and output_dir is None) else None
        dir_fmt = fmt if output_dir is not None and fmt in DIR_FORMATS else "json"
        opts = the_task.options(options)
        options = dataclasses.asdict(the_task.for_formats(opts, [dir_fmt] if output_dir is not None else []))
    except VidmmError as err:
        raise common.fail(err) from None
    config = BatchConfig(task=task, options=options, out=out, fmt=out_fmt, output_dir=output_dir, dir_format=dir_fmt,
                         segments=segments, workers=workers, engine=engine, ray_address=ray_address,
                         retry_failed=retry_failed, glob=glob, prefetch=prefetch)
    try:  # where records go, checked before any work: a folder or an unwritable path is a usage error
        if output_dir is not None:
            from .runner import check_writable_dir

            check_writable_dir(output_dir)
        stream = None
        if out is None or str(out) == "-":  # records on stdout as they finish (`-` as in Unix tools)
            config.out, stream = None, common.print_jsonl
        elif out.exists() and not out.is_file():
            if out.is_dir():
                raise UsageError("--out is a directory", path=str(out), hint="name a file, e.g. results.jsonl")
            config.out, stream = None, _stream_to(out)  # a pipe or device: written as a stream, never read
        else:
            _check_out_file(out)
    except VidmmError as err:
        raise common.fail(err) from None
    bar = _Bar(enabled=not common.OPTIONS.quiet and sys.stderr.isatty())
    terminated = _sigterm_as_interrupt()
    try:
        summary = run_batch(inputs, config, progress=bar, stream=stream)
    except VidmmError as err:
        bar.stop()
        raise common.fail(err) from None
    except Exception as err:  # noqa: BLE001
        bar.stop()
        from ..batch.local import FatalWorkerError

        if isinstance(err, FatalWorkerError):
            print(f"vidmm: error: {err.error['message']}", file=sys.stderr, flush=True)
            raise typer.Exit(err.exit_code) from None
        raise common.fail(err) from None
    bar.stop()
    if not common.OPTIONS.quiet:
        render_summary(summary)
    raise typer.Exit(143 if summary.interrupted and terminated else summary.exit_code)


def _check_out_file(out: Path) -> None:
    """The log can be created (or appended to) where --out says."""
    from ..errors import UsageError

    existed = out.exists()
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"cannot write --out: {parent} is a file, not a folder", path=str(out))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "ab"):
            pass
    except OSError as err:
        raise UsageError(f"cannot write --out: {err.strerror or err}", path=str(out),
                         hint="pick a file in a folder you can write") from None
    if not existed and out.stat().st_size == 0:
        out.unlink()


def _stream_to(target: Path):
    """Records written line by line to a pipe or device (no resume: such a target cannot be read back)."""
    from ..errors import VidmmError

    f = open(target, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run

    def write(rec: dict) -> None:
        import json

        try:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
        except OSError as err:
            raise VidmmError(f"cannot write --out: {err.strerror or err}", path=str(target)) from None

    return write


class _Terminated:
    """Whether SIGTERM arrived (the exit code is then 143, as for the single commands)."""

    def __init__(self) -> None:
        self.seen = False

    def __bool__(self) -> bool:
        return self.seen


def _sigterm_as_interrupt() -> _Terminated:
    """``kill PID`` (SIGTERM) stops like Ctrl-C: finished records stay; exit 143."""
    import signal

    flag = _Terminated()

    def handler(signum, frame):
        flag.seen = True
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. a test runner)
        pass
    return flag
