"""`vidmm scene FILE...`: people's view of a scene result (the task and its options: vidmm.tasks.plugins.scene)."""

from __future__ import annotations

from . import common


def _label_line(labels, n: int = 3) -> str:
    return ", ".join(f"{x.label} {x.score:.2f}" for x in labels[:n])


def _shares(modalities: dict | None) -> str:
    return ", ".join(f"{k} {100 * v:.0f}%" for k, v in (modalities or {}).items())


def render_table(result) -> None:
    from rich.table import Table

    from ..tasks.scene import NONE_LABEL

    explain = any(x.frames is not None for x in result.labels)

    con = common.stdout_console()
    dur = f"{result.duration:.1f} s" if result.duration else "unknown length"
    top = result.labels[0] if result.labels else None
    head = f"[bold]{NONE_LABEL}[/] (closest: {top.label})" if result.none_of_these or top is None \
        else f"[bold]{top.label}[/] {top.score:.2f}"
    con.print(f"[bold]{result.file}[/]  {dur}, {len(result.segments)} shot(s)   scene: {head}")
    con.print(f"overall: {_label_line(result.labels, len(result.labels))}", highlight=False)
    mods = explain and any(x.modalities for x in result.labels)  # a fusion head: frames and modalities
    if mods:
        for x in result.labels[:3]:
            frames = ", ".join(f"{t:.2f} s ({w:.2f})" for t, w in zip(x.frames or [], x.frame_weights or []))
            con.print(f"why {x.label}: frames {frames}; {_shares(x.modalities)}", highlight=False)
    t = Table(title_justify="left")
    t.add_column("shot", justify="right")
    t.add_column("start", justify="right")
    t.add_column("end", justify="right")
    t.add_column("labels", overflow="fold")
    if explain:
        t.add_column("frames (s) behind the top label", overflow="fold")
    if mods:
        t.add_column("modalities (top label)", overflow="fold")
    for i, seg in enumerate(result.segments, 1):
        text = _label_line(seg.labels, len(seg.labels))
        if seg.none_of_these:
            text = f"[dim]{NONE_LABEL}[/] (closest: {text})"
        row = [str(i), f"{seg.start:.2f}", f"{seg.end:.2f}", text]
        if explain:
            row.append(", ".join(f"{x:.2f}" for x in (seg.labels[0].frames or [])) if seg.labels else "")
        if mods:
            row.append(_shares(seg.labels[0].modalities) if seg.labels else "")
        t.add_row(*row)
    con.print(t)
