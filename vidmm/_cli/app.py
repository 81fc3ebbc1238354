"""The Typer app. ``main()`` is the console script.

``vidmm``, ``vidmm --help`` and ``vidmm --version`` are answered from ``FAST_HELP`` without importing
Typer, Rich or any model library, so a shell script asking for them pays about one Python start-up.
The task commands and their help lines come from the task registry (plugins' tasks included); a test
checks that the fast help lists exactly the commands registered here.
"""

from __future__ import annotations

import sys

from .._version import __version__

#: Task commands are listed in this order (other registered tasks, e.g. a plugin's, after them); each
#: one's help line is its ``summary`` in the task registry.
TASK_ORDER = ("caption", "ask", "info", "scene", "emotion", "transcribe", "search")
#: (name, one-line help) of the commands that are not tasks, shown after the tasks.
OTHER_COMMANDS = [
    ("batch", "Run one task over many files: durable JSONL (resumable), CSV or JSON, parallel workers or Ray."),
    ("report", "One self-contained HTML page: thumbnails, timeline, all task results per video."),
    ("train", "Train a fusion head (early, late, attention) on a CSV of path,label."),
    ("eval", "Accuracy, macro-F1, per-class table and confusion matrix of a trained head."),
    ("models", "Which models are present, fetch missing ones, where they live."),
    ("cache", "Show or clear the embedding cache."),
]


def task_names() -> list[str]:
    """The registered tasks in the order commands are shown (the registry imports no model library)."""
    from ..tasks.registry import tasks

    registered = tasks()
    return [n for n in TASK_ORDER if n in registered] + sorted(n for n in registered if n not in TASK_ORDER)


def commands() -> list[tuple[str, str]]:
    """(name, one-line help) of every top-level command, in the order shown."""
    from ..tasks.registry import get_task

    return [(n, get_task(n).summary) for n in task_names()] + OTHER_COMMANDS


#: The module of vidmm._cli holding each built-in task's ``render_table(result)`` (people's view).
RENDERERS = {"caption": "caption_cmd", "ask": "ask_cmd", "info": "info_cmd", "scene": "scene_cmd",
             "emotion": "emotion_cmd", "transcribe": "transcribe_cmd", "search": "search_cmd",
             "ocr": "ocr_cmd", "shots": "shots_cmd"}

FAST_HELP = """Usage: vidmm [OPTIONS] COMMAND [ARGS]...

  vidmm understands video: captions, questions, scenes, emotion and speech,
  offline on a CPU. Every command prints a table for people and JSON for
  scripts (--json).

Options:
  --version   Show the version and exit.
  --debug     Show tracebacks for errors.
  -q, --quiet No progress output on stderr.
  --help      Show this message and exit.

Commands:
{commands}

Run `vidmm COMMAND --help` for a command's options.
"""


def fast_help() -> str:
    rows = commands()
    width = max(len(n) for n, _ in rows)
    lines = "\n".join(f"  {name.ljust(width)}  {text}" for name, text in rows)
    return FAST_HELP.format(commands=lines)


def build_app():
    import typer

    from . import common
    from .runner import task_command

    app = typer.Typer(
        name="vidmm",
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["--help", "-h"]},
        help="vidmm understands video: captions, questions, scenes, emotion and speech, offline on a CPU.",
    )

    @app.callback()
    def _global(
        version: bool = typer.Option(False, "--version", help="Show the version and exit.", is_eager=True),
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress output on stderr."),
    ) -> None:
        if version:
            print(f"vidmm {__version__}")
            raise typer.Exit(0)
        common.OPTIONS.debug = debug
        common.OPTIONS.quiet = quiet

    import importlib

    from .batch_cmd import batch
    from .cache_cmd import cache_app
    from .models_cmd import models_app
    from .report_cmd import report
    from .train_cmd import eval_cmd, train

    # Every registered task is a command; its people's view is ``render_table`` in the module RENDERERS
    # names (a task without one, e.g. a plugin's, gets the generic view of its fields).
    for name in task_names():
        module = importlib.import_module(f".{RENDERERS[name]}", __package__) if name in RENDERERS else None
        app.command(name)(task_command(name, getattr(module, "render_table", None)))
    app.command("batch")(batch)
    app.command("report")(report)
    app.command("train")(train)
    app.command("eval")(eval_cmd)
    app.add_typer(models_app, name="models")
    app.add_typer(cache_app, name="cache")
    return app


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in ([], ["--help"], ["-h"]):
        sys.stdout.write(fast_help())
        sys.exit(0)
    if args == ["--version"]:
        sys.stdout.write(f"vidmm {__version__}\n")
        sys.exit(0)
    app = build_app()
    from .common import StdoutError

    try:
        app(args=args, prog_name="vidmm", standalone_mode=True)
    except KeyboardInterrupt:
        print("vidmm: interrupted", file=sys.stderr)
        sys.exit(130)
    except StdoutError as err:
        import os

        print(f"vidmm: error: {err.one_line()}", file=sys.stderr)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - nothing more can reach the real stdout
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
