"""`vidmm ocr FILE...`: people's view of the text a file shows (the task: vidmm.tasks.plugins.ocr)."""

from __future__ import annotations

from rich.markup import escape

from . import common


def _clock(seconds: float) -> str:
    m, s = divmod(max(seconds, 0.0), 60)
    return f"{int(m):02d}:{s:04.1f}"


def render_table(result) -> None:
    """A header line, then one line per distinct line of text: when, how sure, where, what."""
    con = common.stdout_console()
    con.print(f"[bold]{escape(result.file)}[/]  {len(result.lines)} lines   frames read: "
              f"{result.frames_read}/{result.frames_sampled}   model: {result.model}")
    photo = result.kind == "image"
    for line in result.lines:
        x, y, w, h = line.box
        when = "" if photo else f"[cyan]{_clock(line.start)} → {_clock(line.end)}[/]  "
        con.print(f"{when}[dim]{line.score:.2f} at {x:.2f},{y:.2f}[/]  {escape(line.text)}")
    for note in result.notes:
        con.print(f"[yellow]note:[/] {escape(note)}")
