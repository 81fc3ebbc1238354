"""`vidmm emotion FILE...`: people's view of an emotion result (the task: vidmm.tasks.plugins.emotion)."""

from __future__ import annotations

from . import common


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def render_table(result) -> None:
    """People's view: a summary line, the face tracks and the timeline."""
    from rich.table import Table

    con = common.stdout_console()
    if result.label is None:
        head = "[bold]no evidence[/]"
    else:
        head = f"[bold]{result.label}[/] {result.score:.2f} (from {result.evidence.replace('+', ' + ')})"
    av = "" if result.arousal is None else f"   arousal {result.arousal:+.2f}, valence {result.valence:+.2f}"
    con.print(f"[bold]{result.file}[/]  {result.duration:.1f} s   emotion: {head}{av}")
    if result.head is not None:
        _render_head(con, result)
        return
    con.print(f"faces: {len(result.tracks)} (up to {result.max_faces} at once, in {result.frames_with_faces} of "
              f"{result.frames} sampled frames)   visual: {result.modalities.get('visual')}   "
              f"voice: {result.modalities.get('vocal')}")
    for note in result.notes:
        con.print(f"[yellow]note:[/] {note}")
    if result.tracks:
        t = Table(title="faces", title_justify="left")
        for col in ("face", "seen", "frames", "expression", "score"):
            t.add_column(col)
        for tr in result.tracks:
            t.add_row(f"face {tr.face}", f"{tr.first:.1f}-{tr.last:.1f} s", str(tr.frames), tr.label,
                      f"{tr.probs.max():.2f}")
        con.print(t)
    t = Table(title="timeline", title_justify="left")
    for col in ("start", "end", "emotion", "score", "faces", "visual", "voice", "prosody / said"):
        t.add_column(col, overflow="fold")
    for s in result.segments:
        vis = "-" if s.visual is None else (f"{s.visual.label} ({_pct(s.visual.contribution)})"
                                            if s.visual.label else "no face")
        if s.vocal is None:
            voc = "-"
        else:
            cue = s.vocal.detail.get("cue") or s.vocal.detail.get("top_cue") or "-"
            voc = f"{cue} ({_pct(s.vocal.contribution)})"
        extra = s.text or ""
        pro = (s.vocal.detail.get("prosody") if s.vocal else None) or {}
        if pro and not extra:
            extra = f"pitch {pro['pitch_hz']:.0f} Hz, range {pro['pitch_range_st']:.1f} st, {pro['energy_db']:.0f} dB"
        t.add_row(f"{s.start:.1f}", f"{s.end:.1f}", s.label or "no evidence", f"{s.score:.2f}",
                  ", ".join(str(f) for f in s.faces) or "-", vis, voc, extra)
    con.print(t)


def _render_head(con, result) -> None:
    """A trained head's result: its name, why (frames, modality shares), and the timeline."""
    from rich.table import Table

    h, e = result.head, result.head["explanation"]
    m = e["modalities"]
    times = ", ".join(f"{f['time']:.2f} s" for f in e["frames"])
    audio = _pct(m["audio"]) if e["audio"] == "present" else "none (no audio, masked)"
    said = "" if "text" not in e else ", text " + (_pct(m["text"]) if e["text"] == "present" else "none (no speech)")
    con.print(f"head: {h['name']} ({', '.join(h['labels'])})   frames behind it: {times}   "
              f"visual {_pct(m['visual'])}, audio {audio}{said}", highlight=False)
    for note in result.notes:
        con.print(f"[yellow]note:[/] {note}")
    t = Table(title="timeline", title_justify="left")
    text = "text" in m
    for col in ("start", "end", "emotion", "score", "frames (s)", "visual", "audio") + (("text",) if text else ()) \
            + ("said",):
        t.add_column(col, overflow="fold")
    for s in result.segments:
        sh = s.shares or {}
        row = [f"{s.start:.1f}", f"{s.end:.1f}", s.label or "-", f"{s.score:.2f}",
               ", ".join(f"{f['time']:.2f}" for f in s.frames or []), _pct(sh.get("visual", 0.0)),
               "-" if s.vocal is None else _pct(sh.get("audio", 0.0))]
        if text:
            row.append(_pct(sh["text"]) if sh.get("text") else "-")
        t.add_row(*row, s.text or "")
    con.print(t)
