"""`vidmm shots VIDEO...`: people's view of a video's segments (the task: vidmm.tasks.plugins.shots)."""

from __future__ import annotations

from rich.markup import escape

from . import common


def render_table(result) -> None:
    """A table per file: each shot's start, end and length (timecodes), and the score of the cut opening it."""
    from rich.table import Table

    from ..timecode import Timecode

    precision = {"keyframe": "from the keyframes: exact where the encoder marked a cut, else within one GOP",
                 "exact": "exact: every cut at its frame"}.get(result.cuts, result.cuts)
    t = Table(title=f"{escape(result.file)}: {len(result.shots)} shots", caption=f"cuts {precision}",
              title_justify="left", caption_justify="left")
    for name in ("shot", "start", "end", "length s", "cut score"):
        t.add_column(name, justify="right" if name != "start" and name != "end" else "left")
    for s in result.shots:
        t.add_row(str(s.index + 1), str(Timecode(s.start)), str(Timecode(s.end)), f"{s.end - s.start:.2f}",
                  "" if s.cut_score is None else f"{s.cut_score:.1f}")
    con = common.stdout_console()
    con.print(t)
    if result.found:
        con.print(f"[dim]{escape(result.found)}[/]")
