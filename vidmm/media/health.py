"""What decoding found wrong with a file's data, for the result to say so (the policy: answer from what
was read, flag it; refuse only when nothing usable decodes).

* ``truncated``: the data ends before the duration the header promises (``{"at": 2.2, "of": 2.5}``);
* ``damaged``: FFmpeg reported invalid data and the packets were skipped (``{"at": 1.2, "errors": 3,
  "message": ...}``).

The readers (pyav_reader.py, audio.py) call ``note_*`` as they meet the problem; `Task.execute` puts
``flags(extractor, path)`` into the record: this process's notes merged with the ones kept in the feature
cache by earlier runs, so a re-run that decodes nothing (its features cached) still says it. Notes are per
process and keyed by the file's path, size and mtime (a replaced file starts clean).
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


def _merge(kind: str, old: dict | None, new: dict) -> dict:
    """Two notes of one kind as one: the furthest point data was read to (``truncated``: a reader that
    stopped early saw less), the first damage and the most bad packets counted (``damaged``)."""
    if old is None:
        return dict(new)
    if kind == "truncated":
        return dict(new) if new["at"] > old["at"] else dict(old)
    first = new if new["at"] < old["at"] else old
    return {"at": first["at"], "errors": max(old.get("errors", 1), new.get("errors", 1)),
            "message": first.get("message")}


def note_truncated(path: str | os.PathLike, at: float, of: float) -> None:
    notes = _NOTES.setdefault(_key(path), {})
    notes["truncated"] = _merge("truncated", notes.get("truncated"), {"at": round(max(at, 0.0), 3), "of": round(of, 3)})


_BAD: dict[tuple, set] = {}  # per file, the times of the bad packets met (two readers of one packet count it once)


def note_damaged(path: str | os.PathLike, at: float | None, message: str) -> None:
    key = _key(path)
    notes = _NOTES.setdefault(key, {})
    at = round(max(at or 0.0, 0.0), 3)
    bad = _BAD.setdefault(key, set())
    bad.add(at)
    notes["damaged"] = _merge("damaged", notes.get("damaged"), {"at": at, "errors": len(bad), "message": message})


def problems(path: str | os.PathLike) -> dict:
    """``{"truncated": ..., "damaged": ...}`` (either or both), or {} for a file read cleanly."""
    return {k: dict(v) for k, v in _NOTES.get(_key(path), {}).items()}


VERSION = "health-v1"
#: Bad packets this close to where a truncated file's data ends are its torn tail, not damage of their own.
TAIL_S = 1.0


def flags(extractor, path: str | os.PathLike) -> dict:
    """The file's ``truncated``/``damaged`` flags: what this process noted while decoding it, merged with
    what earlier runs noted (kept in the extractor's cache by the file's content)."""
    from ..cache import make_key

    key = make_key(VERSION, extractor.identity(str(path)))
    hit = extractor.cache.get("health", key)
    kept = dict(hit[1]) if hit is not None else {}
    merged = dict(kept)
    for kind, note in problems(path).items():
        merged[kind] = _merge(kind, merged.get(kind), note)
    if merged != kept:
        extractor.cache.put("health", key, {}, merged)
    t, d = merged.get("truncated"), merged.get("damaged")
    if t and d and d["at"] >= t["at"] - TAIL_S:
        merged.pop("damaged")  # the torn last packets of a truncated file: one problem, said once
    return merged


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
