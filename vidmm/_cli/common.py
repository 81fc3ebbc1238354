"""What every command shares: the error line, exit codes, JSON/table output, per-input loops."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import typer

from ..errors import (
    EXIT_MODEL_MISSING,
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    ModelMissingError,
    VidmmError,
)


@dataclass
class Options:
    """Global options set by the app callback."""

    debug: bool = False
    quiet: bool = False


OPTIONS = Options()


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def stdout_console():
    from rich.console import Console

    return Console(highlight=False)


def status(text: str):
    """A spinner on stderr for people; nothing when quiet or stderr is not a terminal."""
    import contextlib

    if OPTIONS.quiet or not sys.stderr.isatty():
        return contextlib.nullcontext()
    return stderr_console().status(text)


def error_line(err: BaseException, path: str | None = None) -> str:
    """``vidmm: error: FILE: problem (what to do)`` on one line."""
    if isinstance(err, VidmmError):
        # A missing model is not the input's fault: do not name the input as if it were.
        if err.path is None and path is not None and not isinstance(err, ModelMissingError):
            err.path = path
        return f"vidmm: error: {err.one_line()}"
    where = f"{path}: " if path else ""
    detail = " ".join(f"{type(err).__name__}: {err}".split())
    return f"vidmm: error: {where}internal error: {detail} (run with --debug for the traceback; please report it)"


def report_error(err: BaseException, path: str | None = None) -> None:
    print(error_line(err, path), file=sys.stderr, flush=True)
    if OPTIONS.debug:
        traceback.print_exception(err, file=sys.stderr)


def fail(err: BaseException, path: str | None = None) -> typer.Exit:
    """Print the error line and return the Exit to raise (``raise fail(err)``)."""
    report_error(err, path)
    code = err.exit_code if isinstance(err, VidmmError) else EXIT_SOME_FAILED
    return typer.Exit(code)


def machine_output(json_flag: bool, fmt: str | None) -> bool:
    """True when stdout must stay parseable: --json, --format, or stdout is not a terminal."""
    return json_flag or fmt is not None or not sys.stdout.isatty()


def progress(description: str):
    """A progress bar on stderr for people: the context gives ``tick(done, total)`` (None when quiet or
    stderr is not a terminal), which a task calls as its work advances."""
    import contextlib

    if OPTIONS.quiet or not sys.stderr.isatty():
        return contextlib.nullcontext(None)

    @contextlib.contextmanager
    def bar():
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        # The bar fills for a task that reports progress (transcription); for the others it pulses.
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                      console=stderr_console(), transient=True) as p:
            task = p.add_task(description, total=None)

            def tick(done: float, total: float) -> None:
                p.update(task, completed=done, total=max(total, 1e-9))

            yield tick

    return bar()


def write_stdout(text: str) -> None:
    """Write to stdout; a full disk or closed pipe becomes one error line (StdoutError), not a traceback."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as err:
        raise StdoutError(err) from None


class StdoutError(VidmmError):
    """stdout cannot be written (``> /dev/full``, a closed pipe): the output is lost, so the run stops."""

    def __init__(self, err: OSError):
        super().__init__(f"cannot write to stdout: {err.strerror or err}", path=None)


def write_file(text: str, path) -> str:
    """Write a whole output file or nothing (atomically); returns its path."""
    from ..fileio import atomic_write_text

    atomic_write_text(path, text)
    return str(path)


def print_json(doc: Any) -> None:
    write_stdout(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def print_jsonl(doc: Any) -> None:
    write_stdout(json.dumps(doc, ensure_ascii=False) + "\n")


def exit_code_for(n_ok: int, n_failed: int, codes: list[int]) -> int:
    """CLI.md: 0 all succeeded, 1 some failed, 3 none could be read (or the shared code, e.g. 4)."""
    if n_failed == 0:
        return EXIT_OK
    if n_ok == 0:
        if codes and all(c == codes[0] for c in codes):
            return codes[0] if codes[0] != EXIT_SOME_FAILED else EXIT_NO_INPUT
        return EXIT_NO_INPUT
    return EXIT_SOME_FAILED


def run_inputs(
    paths: Iterable[str],
    compute: Callable[[str], Any],
    render: Callable[[Any], None],
) -> int:
    """Compute each input in turn; render successes as they come, report failures, return the exit code.

    One bad input never stops the others. A model that is missing (exit 4) or a usage error (exit 2, e.g.
    an option the model cannot honour) stops the run: every other input would fail the same way.
    """
    n_ok, n_failed, codes = 0, 0, []
    for path in paths:
        try:
            result = compute(path)
        except KeyboardInterrupt:
            raise
        except VidmmError as err:
            report_error(err, path)
            n_failed += 1
            codes.append(err.exit_code)
            if err.exit_code in (EXIT_USAGE, EXIT_MODEL_MISSING):
                break
            continue
        except Exception as err:  # noqa: BLE001 - one line per failure, traceback with --debug
            report_error(err, path)
            n_failed += 1
            codes.append(EXIT_SOME_FAILED)
            continue
        n_ok += 1
        render(result)
    return exit_code_for(n_ok, n_failed, codes)
