"""`vidmm caption FILE...`: people's view of a caption result (the task and its options:
vidmm.tasks.plugins.caption)."""

from __future__ import annotations

from . import common


def render_table(result) -> None:
    con = common.stdout_console()
    dur = f"{result.duration:.1f} s, " if result.duration else ""
    con.print(f"[bold]{result.file}[/]  {dur}{len(result.segments)} segment(s)")
    con.print(f"[bold green]{result.paragraph or result.caption}[/]", highlight=False)
    if len(result.segments) > 1:
        for s in result.segments:
            con.print(f"  [cyan]{s.start:6.2f} → {s.end:6.2f}[/]  {s.caption}", highlight=False)
