"""One runner for every task's command: flags from the task's Options, outputs checked before any work.

``task_command("scene", render_table)`` makes the Typer command of a registered task. Its flags are the
fields of the task's Options dataclass (``--top-k`` for ``top_k``; help from ``opt(help=...)``) plus the
output flags every task shares (``--json``, ``--format``, ``--output-dir``) and, through the Options'
common fields, ``--backbone``, ``--max-frames``, ``--start``/``--end`` and ``--no-cache``. The command:

1. parses the options into the Options dataclass (a bad value is a usage error, exit 2);
2. checks the format against the task's formats and that ``--output-dir`` can be written (exit 2);
3. builds one Extractor, loads the task's models on the first readable input (a bad file fails before
   any model loads), and runs each input through `common.run_inputs`;
4. renders each result: the task's table for people, else the writer of the format (vidmm.writers).
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import os
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ModelFileError, ModelMissingError, UsageError
from . import common


@dataclasses.dataclass
class Output:
    json: bool = False
    fmt: str | None = None
    output_dir: Path | None = None


def check_output(task, out: Output, n_inputs: int) -> list[str]:
    """The formats to write, or UsageError before any work: unknown format, subtitles of several files
    without a folder, a folder that cannot be written."""
    formats = task.formats
    if out.fmt is not None and out.fmt != "all" and out.fmt not in formats:
        raise UsageError(f"unknown format {out.fmt!r} for {task.name}", hint=f"use one of {', '.join(formats)}")
    if out.fmt == "all" and out.output_dir is None:
        raise UsageError("--format all writes several files", hint="add --output-dir DIR")
    if out.fmt in ("srt", "vtt") and n_inputs > 1 and out.output_dir is None:
        raise UsageError("subtitles of several files need --output-dir")
    if out.json and out.fmt not in (None, "json") and out.output_dir is None:
        raise UsageError(f"--json and --format {out.fmt} both want stdout", hint="pick one")
    if out.output_dir is None:
        return []
    check_writable_dir(out.output_dir)
    if out.fmt == "all":
        from ..writers import get_writer

        return [f for f in formats if get_writer(f).per_file]
    return [out.fmt or task.default_file_format]


def check_writable_dir(folder: Path) -> None:
    """The folder exists or can be made, and can be written (UsageError naming it otherwise)."""
    parent = folder
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"cannot create the folder: {parent} is a file", path=str(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create the folder: {err.strerror or err}", path=str(folder)) from None
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError("is not a folder vidmm can write to", path=str(folder), hint="pick another --output-dir")


def run(task, inputs: list[str], opts, out: Output, render=None) -> int:
    """Run ``task`` over ``inputs`` and render; returns the exit code (../shared/CLI.md)."""
    from ..cache import Cache
    from ..features import Extractor
    from ..media.health import warnings as health_warnings
    from ..writers import get_writer

    file_formats = check_output(task, out, len(inputs))
    opts = task.for_formats(opts, [*file_formats, out.fmt])
    machine = common.machine_output(out.json, out.fmt)
    extractor = Extractor(backbone=getattr(opts, "backbone", None), cache=Cache(enabled=not opts.no_cache),
                          max_frames=getattr(opts, "max_frames", 32))
    state: dict[str, Any] = {}
    docs: list[dict] = []
    # Where records go: files (--output-dir), one document at the end (json, csv: one table), streamed as
    # each input finishes (jsonl, srt, vtt, txt), or the task's table for people.
    at_end = "json" if out.json or out.fmt == "json" or (machine and out.fmt is None) else \
        ("csv" if out.fmt == "csv" else None)
    streamed = out.fmt if out.fmt in ("jsonl", "srt", "vtt", "txt") else None

    def compute(path: str):
        task.require(path, extractor)  # a file of a kind the task cannot read fails before models load
        if "state" not in state:
            loading = common.status(f"loading what {task.name} needs (cached after the first run)") \
                if task.loads_models else contextlib.nullcontext()
            with loading:
                state["state"] = task.load(extractor, opts)
            for key, why in (getattr(state["state"], "unavailable", None) or {}).items():
                if not common.OPTIONS.quiet:
                    print(f"vidmm: note: {key} not used: {why}", file=sys.stderr)
        with common.progress(f"{task.name}: {Path(path).name}") as tick:
            return task.execute(path, extractor, state["state"], opts, progress=tick)

    def emit(result) -> None:
        record = result.to_dict()
        for fmt in file_formats:
            written = common.write_file(get_writer(fmt).render(task, [record]),
                                        out.output_dir / f"{task.output_stem(record)}.{fmt}")
            if not common.OPTIONS.quiet:
                print(f"vidmm: wrote {written}", file=sys.stderr)
        if not common.OPTIONS.quiet:
            # People's tables show the task's own warnings; a damaged or truncated file is said on stderr
            # whatever the output.
            lines = task.messages(record) if machine or out.output_dir is not None else \
                [f"warning: {record.get('file')}: {w}" for w in health_warnings(record)]
            for line in lines:
                print(f"vidmm: {line}", file=sys.stderr)
        if out.output_dir is not None and not out.json:
            return
        if at_end is not None:
            docs.append(record)
        elif streamed is not None:
            common.write_stdout(get_writer(streamed).render(task, [record]))
        elif render is not None:
            render(result)
        else:
            render_fields(record)

    code = common.run_inputs(inputs, compute, emit)
    if docs:
        common.write_stdout(get_writer(at_end).render(task, docs))
    return code


def render_fields(record: dict) -> None:
    """People's view of a task without a table of its own: its top-level fields."""
    con = common.stdout_console()
    con.print(f"[bold]{record.get('file')}[/]")
    for k, v in record.items():
        if k not in ("vidmm", "task", "file", "models", "segments", "elapsed_s") and not isinstance(v, dict | list):
            con.print(f"  {k}: {v}", highlight=False)


# -- the Typer command --------------------------------------------------------------------------------
def _flag(field: dataclasses.Field) -> str:
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def _option(field: dataclasses.Field, hint) -> inspect.Parameter:
    help_text = field.metadata.get("help") or ""
    default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
    names = [_flag(field), *field.metadata.get("aliases", ())]
    info = typer.Option(*names, help=help_text, show_default=default not in (None, False, ""))
    return inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[hint, info])


def task_command(name: str, render=None, input_help: str = "Media files (videos, photos, audio).") -> Any:
    """The Typer command of task ``name``; see the module doc."""
    from ..tasks.registry import get_task

    task = get_task(name)
    hints = typing.get_type_hints(task.Options)
    fields = dataclasses.fields(task.Options)
    positional = [f for f in fields if f.name in task.positional]
    P = inspect.Parameter
    params = []
    if task.folder_task or task.positional:
        params.append(P("input_", P.POSITIONAL_OR_KEYWORD, annotation=Annotated[str, typer.Argument(
            metavar="FOLDER" if task.folder_task else "FILE", show_default=False,
            help="Folder of clips and photos (searched recursively)." if task.folder_task else input_help)]))
    else:
        params.append(P("inputs", P.POSITIONAL_OR_KEYWORD, annotation=Annotated[list[str], typer.Argument(
            metavar="FILE...", help=input_help, show_default=False)]))
    for f in positional:
        params.append(P(f.name, P.POSITIONAL_OR_KEYWORD, annotation=Annotated[hints[f.name], typer.Argument(
            help=f.metadata.get("help") or "", show_default=False)]))
    # The task's own options first, then the ones every task (or every visual task) shares.
    from ..tasks.base import VisualOptions

    shared = {f.name for f in dataclasses.fields(VisualOptions)}
    flags = [f for f in fields if f not in positional]
    params += [_option(f, hints[f.name]) for f in sorted(flags, key=lambda f: f.name in shared)]
    fmt_help = ", ".join(task.formats) + (" (or all, with --output-dir)" if len(task.formats) > 3 else "")
    params += [
        P("json_out", P.KEYWORD_ONLY, default=False,
          annotation=Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]),
        P("fmt", P.KEYWORD_ONLY, default=None,
          annotation=Annotated[str | None, typer.Option("--format", help=f"Output format: {fmt_help}.")]),
        P("output_dir", P.KEYWORD_ONLY, default=None,
          annotation=Annotated[Path | None, typer.Option(
              "--output-dir", help=f"Write {task.output_stem({'file': 'FILE'})}.FORMAT here (one file per input; "
                                   f"{task.default_file_format} without --format).")]),
    ]

    def command(**kw) -> None:
        first = kw.pop("inputs", None) or [kw.pop("input_")]
        out = Output(kw.pop("json_out"), kw.pop("fmt"), kw.pop("output_dir"))
        try:  # a bad option (exit 2) or a missing or wrong head (exit 4): one line before any file
            opts = task.options(kw)
            code = run(task, list(first), opts, out, render)
        except (UsageError, ModelMissingError, ModelFileError) as err:
            raise common.fail(err) from None
        raise typer.Exit(code)

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = task.__doc__ and inspect.cleandoc(task.__doc__) or task.summary
    command.__name__ = name
    return command
