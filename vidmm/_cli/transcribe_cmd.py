"""`vidmm transcribe FILE...`: people's view of a transcript (the task: vidmm.tasks.plugins.transcribe)."""

from __future__ import annotations

from . import common


def _clock(seconds: float) -> str:
    m, s = divmod(max(seconds, 0.0), 60)
    return f"{int(m):02d}:{s:04.1f}"


def render_table(result) -> None:
    """People's view: a header line, one line per segment, notes and warnings."""
    con = common.stdout_console()
    lang = ", ".join(f"{code} {secs:.0f} s" for code, secs in result.languages) if len(result.languages) > 1 \
        else result.language or "-"
    con.print(f"[bold]{result.file}[/]  {result.duration:.1f} s   language: {lang}   model: {result.model}")
    for seg in result.segments:
        who = f"[dim]ch{seg.channel}[/] " if seg.channel is not None else ""
        lang = f"[dim]{seg.language}[/] " if len(result.languages) > 1 else ""
        con.print(f"[cyan]{_clock(seg.start)} → {_clock(seg.end)}[/]  {who}{lang}{seg.text}")
        if result.include_translation and seg.translation is not None:
            con.print(f"                 [dim]→ {seg.translation}[/]")
    if not result.segments:
        con.print("[dim](no transcript)[/]")
    for note in result.notes:
        con.print(f"[yellow]note:[/] {note}")
    if result.warning:
        con.print(f"[bold yellow]warning:[/] {result.warning}")
