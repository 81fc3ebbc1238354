"""``--output-dir``: one file per video next to the batch log, like whisper's CLI (json, srt, vtt, txt).

The text is the same writer's as the single-file command's (vidmm.writers), on the same record.

Names are ``<stem>.<task>.<ext>``; a second input with the same stem in one run gets ``-<identity>``
appended, so two ``clip.mp4`` from different folders never overwrite each other. Each file is written
atomically.
"""

from __future__ import annotations

from pathlib import Path


def claim_name(path: str, task: str, identity: str | None, names_used: dict[str, str]) -> None:
    """Reserve ``<stem>.<task>`` for this input; the batch claims names in input order before any file
    finishes, so which of two same-stem inputs gets the plain name never depends on which finished first."""
    names_used.setdefault(f"{Path(str(path)).stem}.{task}", str(identity or ""))


def write_per_video(rec: dict, out_dir: Path, fmt: str, task, names_used: dict[str, str],
                    missing_only: bool = False) -> Path:
    """Write the record's file in ``fmt`` with the task's writer (vidmm.writers), unless ``missing_only``
    and it is there already; returns its path."""
    from ..fileio import atomic_write_text
    from . import get_writer

    stem = Path(str(rec.get("file"))).stem
    ident = str(rec.get("identity") or "")
    name = f"{stem}.{rec.get('task')}"
    if names_used.get(name, ident) != ident:
        name = f"{name}-{ident[:8]}"
    names_used.setdefault(name, ident)
    path = out_dir / f"{name}.{fmt}"
    if missing_only and path.exists():
        return path
    atomic_write_text(path, get_writer(fmt).render(task, [rec]))
    return path
