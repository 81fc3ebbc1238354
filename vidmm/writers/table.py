"""Records as CSV: one row per video (nested fields flattened to dotted columns), or one per segment.

Columns are the union over all records, leading with the ones every record has. Ranked label lists
become ``label score; label score`` cells; other lists of objects are kept as compact JSON, so no field
is silently dropped. Segment lists (``segments``, ``transcript``) are summarised by their count in the
per-video table; ``segments=True`` writes them out, one row each.
"""

from __future__ import annotations

import csv
import io
import json

LEAD = ("file", "task", "identity", "options_hash", "error.type", "error.message", "duration")
TIMED = ("segments", "transcript")


def _labels_cell(items: list) -> str | None:
    if items and all(isinstance(x, dict) and "label" in x and "score" in x for x in items):
        return "; ".join(f"{x['label']} {x['score']:.3f}" for x in items)
    return None


def flatten(doc: dict, prefix: str = "", skip: tuple[str, ...] = TIMED) -> dict:
    out: dict = {}
    for k, v in doc.items():
        name = f"{prefix}{k}"
        if not prefix and k in skip:
            out[f"n_{k}"] = len(v) if isinstance(v, list) else None
        elif isinstance(v, dict):
            out.update(flatten(v, name + ".", ()))
        elif isinstance(v, list):
            cell = _labels_cell(v)
            if cell is None:
                cell = "; ".join(str(x) for x in v) if all(not isinstance(x, dict | list) for x in v) \
                    else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            out[name] = cell
        else:
            out[name] = v
    return out


def _columns(rows: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            seen.setdefault(k, None)
    lead = [c for c in LEAD if c in seen]
    return lead + [c for c in seen if c not in lead]


def segment_rows(rec: dict, timeline: str | None) -> list[dict]:
    base = {k: rec.get(k) for k in ("file", "task", "identity", "options_hash")}
    if "error" in rec:
        return [flatten({**base, "error": rec["error"]})]
    segs = rec.get(timeline or "segments") or []
    if not segs:
        return [base]
    return [{**base, "segment": i, **flatten(s, skip=())} for i, s in enumerate(segs)]


def to_csv(records: list[dict], segments: bool = False, timeline: str | None = None) -> str:
    rows = [r for rec in records for r in segment_rows(rec, timeline)] if segments else [flatten(r) for r in records]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=_columns(rows), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return buf.getvalue()
