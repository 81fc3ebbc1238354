"""`vidmm search DIR "QUERY"`: people's view of a ranking (the task: vidmm.tasks.plugins.search)."""

from __future__ import annotations

from . import common


def render_table(result) -> None:
    from rich.table import Table

    con = common.stdout_console()
    ix = result.index
    con.print(f"[bold]{result.query}[/] in {result.folder}: {ix['clips']} clip(s)"
              f" ({ix['added'] + ix['updated']} newly indexed, {ix['failed']} unreadable)")
    if not result.results:
        con.print("no match")
        return
    t = Table(title_justify="left")
    t.add_column("#", justify="right")
    t.add_column("score", justify="right")
    t.add_column("file", overflow="fold")
    t.add_column("best moment", justify="right")
    t.add_column("other moments", overflow="fold")
    for i, hit in enumerate(result.results, 1):
        best = hit.moments[0] if hit.moments else None
        when = f"{best.start:.1f}-{best.end:.1f} s ({best.score:.2f})" if best else "-"
        others = ", ".join(f"{m.start:.1f}-{m.end:.1f} s ({m.score:.2f})" for m in hit.moments[1:])
        said = f"\n[dim]says: {hit.speech['text']}[/]" if hit.speech else ""  # --speech: what matched
        t.add_row(str(i), f"{hit.score:.3f}", hit.file + said, when, others)
    con.print(t)
