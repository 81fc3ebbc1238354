"""`vidmm ask VIDEO "QUESTION"`: the answer, how sure, and the moment that shows it.

Parses options, calls vidmm.tasks.ask.ask, renders (Rich for people, JSON per ../shared/CLI.md).
Registered by the lead with ``app.command("ask")(ask)``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import common


def render_human(result) -> None:
    con = common.stdout_console()
    con.print(f"[bold]{result.file}[/]  [dim]({result.type} question)[/]")
    colour = "green" if result.sure else "yellow"
    con.print(f"[bold {colour}]{result.answer}[/]  confidence {result.confidence:.2f}", highlight=False)
    if not result.sure and result.best_guess:
        guesses = ", ".join(c.answer for c in result.candidates[:3])
        con.print(f"best guesses: {guesses}", highlight=False)
    elif len(result.candidates) > 1:
        con.print("[dim]runner-ups: " + ", ".join(f"{c.answer} {c.score:.2f}" for c in result.candidates[1:4])
                  + "[/]", highlight=False)
    e = result.evidence
    if e is not None:
        frames = ", ".join(f"{t:.2f}" for t in e.frames)
        con.print(f"evidence: {e.start:.2f}-{e.end:.2f} s" + (f"  frames {frames} s" if frames else "")
                  + (f"  \"{e.text}\"" if e.text else ""), highlight=False)
    for note in result.notes:
        con.print(f"[dim]note: {note}[/]", highlight=False)


def ask(
    video: Annotated[str, typer.Argument(help="Video file.", show_default=False)],
    question: Annotated[str, typer.Argument(help="The question, in quotes.", show_default=False)],
    choices: Annotated[str | None, typer.Option("--choices", help='Multiple choice answers: "a|b|c".')] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    backbone: Annotated[str | None, typer.Option("--backbone", help="Backbone name or path (default: embedded).")]
    = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per video.")] = 32,
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="Whisper model name or folder.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the feature cache.")] = False,
) -> None:
    """Answer a question about a video (what, where, who, yes/no, how many, feelings, speech, when)."""
    from ..errors import UsageError
    from ..tasks.ask import parse_choices

    try:
        options = parse_choices(choices)
        if not question.strip():
            raise UsageError("the question is empty", hint='e.g. vidmm ask clip.mp4 "what is the person doing?"')
    except UsageError as err:
        raise common.fail(err) from None
    if max_frames < 1:
        raise common.fail(UsageError("--max-frames must be at least 1"))

    from ..cache import Cache
    from ..features import Extractor
    from ..tasks.ask import AskModels
    from ..tasks.ask import ask as run_ask

    extractor = Extractor(backbone=backbone, cache=Cache(enabled=not no_cache), max_frames=max_frames)
    models = AskModels(extractor, asr_model=asr_model)
    machine = common.machine_output(json_out, None)

    def compute(path: str):
        extractor.require_video(path)
        return run_ask(path, question, extractor, models, options)

    def render(result) -> None:
        if machine:
            common.print_json(result.to_dict())
        else:
            render_human(result)

    raise typer.Exit(common.run_inputs([video], compute, render))
