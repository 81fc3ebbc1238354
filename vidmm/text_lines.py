"""When two readings of on-screen text are one line: the comparisons the text channel (where text changed
between two frames) and the timeline (vidmm.tasks.ocr: which readings merge into one entry) share, and that
ask and search match queries with.

``norm`` ignores case, spaces and punctuation; ``match`` forgives small misreadings; ``similar`` says whether
two readings in two boxes (x, y, w, h, any one unit) are the same line.
"""

from __future__ import annotations

import difflib

#: Two readings in boxes overlapping at least this much (IoU) with this similarity are one line.
SAME_BOX, SIMILAR = 0.3, 0.8


def norm(text: str) -> str:
    """Lower case, letters and digits only (CJK included): what matching compares."""
    return "".join(c for c in str(text).lower() if c.isalnum())


def match(query: str, text: str) -> float:
    """How well ``query`` appears in ``text`` (0-1), ignoring case, spaces and punctuation: 1.0 when it is
    a part of it, else the best ratio of a stretch of ``text`` as long as the query."""
    q, t = norm(query), norm(text)
    if not q or not t:
        return 0.0
    if q in t:
        return 1.0
    n = len(q)
    if len(t) <= n:
        return difflib.SequenceMatcher(None, q, t).ratio()
    best = 0.0
    for i in range(0, len(t) - n + 1):
        best = max(best, difflib.SequenceMatcher(None, q, t[i:i + n]).ratio())
    return best


def iou(a, b) -> float:
    """Intersection over union of two boxes (x, y, w, h)."""
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    h = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def similar(a: str, b: str, box_a, box_b) -> float:
    """How much two readings (``norm``-ed) are one line (0: not): the same text anywhere on the frame; nearly the same
    text in an overlapping box; or one reading (nearly) part of the other in the same place (a title wiped
    in: "THE PEACH OPF" on its way to "THE PEACH OPEN MOVIE PROJECT"). The same letters with other digits
    are other lines: a clock, a score or a price that changes on screen."""
    if a == b:
        return 1.0
    if _digits(a) != _digits(b) and _letters(a) == _letters(b):
        return 0.0
    if _overlap(box_a, box_b) < SAME_BOX:
        return 0.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and _overlap(box_a, box_b) >= 0.6 and match(short, long_) >= SIMILAR:
        return 0.9
    sim = difflib.SequenceMatcher(None, a, b).ratio()
    return sim if sim >= SIMILAR and iou(box_a, box_b) >= SAME_BOX else 0.0


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _letters(text: str) -> str:
    return "".join(c for c in text if not c.isdigit())


def _overlap(a, b) -> float:
    """Intersection over the smaller box."""
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    small = min(a[2] * a[3], b[2] * b[3])
    return w * h / small if small > 0 else 0.0
