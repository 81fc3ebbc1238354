"""What decoding found wrong with a file's data, for the result to say so (the policy: answer from what
was read, flag it; refuse only when nothing usable decodes).

* ``truncated``: the data ends before the duration the header promises (``{"at": 2.2, "of": 2.5}``);
* ``damaged``: FFmpeg reported invalid data and the packets were skipped (``{"at": 1.2, "errors": 3,
  "message": ...}``).

The readers (pyav_reader.py, audio.py) call ``note_*`` as they meet the problem; `Task.execute` reads
``problems(path)`` into the record and keeps it in the cache, so a re-run from cached features still says it.
Notes are per process and keyed by the file's path, size and mtime (a replaced file starts clean).
"""

from __future__ import annotations

import os

_NOTES: dict[tuple, dict] = {}


def _key(path: str | os.PathLike) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (os.path.abspath(path),)
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)


def note_truncated(path: str | os.PathLike, at: float, of: float) -> None:
    notes = _NOTES.setdefault(_key(path), {})
    old = notes.get("truncated")
    if old is None or at < old["at"]:
        notes["truncated"] = {"at": round(max(at, 0.0), 3), "of": round(of, 3)}


def note_damaged(path: str | os.PathLike, at: float | None, message: str, errors: int = 1) -> None:
    notes = _NOTES.setdefault(_key(path), {})
    old = notes.get("damaged")
    at = round(max(at or 0.0, 0.0), 3)
    if old is None:
        notes["damaged"] = {"at": at, "errors": errors, "message": message}
    else:
        old["errors"] += errors
        if at < old["at"]:
            old["at"], old["message"] = at, message


def problems(path: str | os.PathLike) -> dict:
    """``{"truncated": ..., "damaged": ...}`` (either or both), or {} for a file read cleanly."""
    return {k: dict(v) for k, v in _NOTES.get(_key(path), {}).items()}


def warnings(record: dict) -> list[str]:
    """The stderr lines for a record's flags."""
    out = []
    t, d = record.get("truncated"), record.get("damaged")
    if t:
        out.append(f"truncated: data ends at {t['at']:.1f} s of the {t['of']:.1f} s the header promises; "
                   "answered from what was read")
    if d:
        n = d.get("errors", 1)
        out.append(f"damaged at {d['at']:.1f} s ({n} bad packet{'s' if n != 1 else ''}: {d.get('message')}); "
                   "answered from what was read")
    return out
