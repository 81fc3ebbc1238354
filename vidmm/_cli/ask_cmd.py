"""`vidmm ask FILE "QUESTION"`: people's view of an answer (the task: vidmm.tasks.plugins.ask)."""

from __future__ import annotations

from . import common


def render_table(result) -> None:
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
