"""`vidmm search DIR "QUERY"`: rank the clips of a folder, and their moments, by a text query.

Parses options, calls vidmm.tasks.search.search, renders a Rich table (path, time, score) or JSON.
Registered by the lead with ``app.command("search")(search)``.
"""

from __future__ import annotations

from typing import Annotated

import typer

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
        t.add_row(str(i), f"{hit.score:.3f}", hit.file, when, others)
    con.print(t)


def search(
    folder: Annotated[str, typer.Argument(help="Folder of video clips (searched recursively).", show_default=False)],
    query: Annotated[str, typer.Argument(help='What to look for, e.g. "a dog on a skateboard".', show_default=False)],
    top_k: Annotated[int, typer.Option("--top-k", help="Clips (and moments) listed.")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    backbone: Annotated[str | None, typer.Option("--backbone", help="Backbone name or path (default: embedded).")]
    = None,
    max_frames: Annotated[int, typer.Option("--max-frames", help="At most this many frames per clip.")] = 32,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Embed everything again and keep no index.")] = False,
) -> None:
    """Rank clips (and moments) of a folder by a text query."""
    import sys

    from ..cache import Cache
    from ..errors import UsageError
    from ..features import Extractor
    from ..tasks.search import search as run_search

    if top_k < 1 or max_frames < 1:
        raise common.fail(UsageError("--top-k and --max-frames must be at least 1"))
    if not query.strip():
        raise common.fail(UsageError("the query is empty", hint='vidmm search DIR "a dog on a skateboard"'))
    machine = common.machine_output(json_out, None)
    extractor = Extractor(backbone=backbone, cache=Cache(enabled=not no_cache), max_frames=max_frames)
    show = not common.OPTIONS.quiet and sys.stderr.isatty()
    err = common.stderr_console()

    def progress(done: int, total: int, path: str) -> None:
        if show:
            err.print(f"indexing {done + 1}/{total}: {path}", highlight=False)

    def compute(path: str):
        return run_search(path, query, extractor, top_k=top_k, progress=progress)

    docs: list[dict] = []

    def render(result) -> None:
        if machine:
            docs.append(result.to_dict())
        else:
            render_table(result)

    code = common.run_inputs([folder], compute, render)
    if docs:
        common.emit_results(docs, json_out)
    raise typer.Exit(code)
