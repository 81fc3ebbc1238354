"""``--output-dir``: one file per video next to the batch log, like whisper's CLI (json, srt, vtt, txt).

Names are ``<stem>.<task>.<ext>``; a second input with the same stem in one run gets ``-<identity>``
appended, so two ``clip.mp4`` from different folders never overwrite each other. Each file is written
atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from .subtitles import to_srt, to_vtt


def _label_text(labels: list, n: int = 3) -> str:
    return ", ".join(f"{x['label']} {x['score']:.2f}" for x in labels[:n])


def cues(rec: dict, timeline: str | None) -> list[tuple[float, float, str]]:
    """(start, end, text) for each timed segment of a record, whatever the task."""
    out = []
    for s in rec.get(timeline or "segments") or []:
        if s.get("labels"):
            text = _label_text(s["labels"])
        elif isinstance(s.get("emotion"), dict):
            e = s["emotion"]
            text = f"{e.get('label') or 'no evidence'} {float(e.get('score') or 0):.2f}"
        elif isinstance(s.get("text"), str):
            text = s["text"]
        else:
            text = ""
        out.append((float(s.get("start", 0.0)), float(s.get("end", 0.0)), text))
    return out


def plain_text(rec: dict, timeline: str | None) -> str:
    if isinstance(rec.get("text"), str):
        return rec["text"].strip() + "\n"
    lines = [f"{a:8.2f} {b:8.2f}  {t}" for a, b, t in cues(rec, timeline)]
    if not lines:
        lines = [json.dumps(rec, ensure_ascii=False)]
    return "\n".join(lines) + "\n"


def claim_name(path: str, task: str, identity: str | None, names_used: dict[str, str]) -> None:
    """Reserve ``<stem>.<task>`` for this input; the batch claims names in input order before any file
    finishes, so which of two same-stem inputs gets the plain name never depends on which finished first."""
    names_used.setdefault(f"{Path(str(path)).stem}.{task}", str(identity or ""))


def write_per_video(rec: dict, out_dir: Path, fmt: str, timeline: str | None, names_used: dict[str, str],
                    missing_only: bool = False) -> Path:
    """Write the record's file (``missing_only``: unless it is there already) and return its path."""
    from ..fileio import atomic_write_text

    stem = Path(str(rec.get("file"))).stem
    ident = str(rec.get("identity") or "")
    name = f"{stem}.{rec.get('task')}"
    if names_used.get(name, ident) != ident:
        name = f"{name}-{ident[:8]}"
    names_used.setdefault(name, ident)
    path = out_dir / f"{name}.{fmt}"
    if missing_only and path.exists():
        return path
    if fmt == "json":
        text = json.dumps(rec, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "srt":
        text = to_srt(cues(rec, timeline))
    elif fmt == "vtt":
        text = to_vtt(cues(rec, timeline))
    else:
        text = plain_text(rec, timeline)
    atomic_write_text(path, text)
    return path
