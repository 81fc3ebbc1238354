"""Search by the text clips show: a query that a clip's on-screen text holds lifts that clip, and the shots
the text is on, above what the pictures alone score.

The index keeps each clip's distinct lines (``ClipEntry.text``: [start, end, text], from the same text
channel as ``vidmm ocr``). A query's text score for a clip is the best of: how well the whole query appears
in one line, and how well its words (three letters or more, not stopwords) appear in the clip's lines on
average, both with case, spaces and punctuation ignored and small misreadings forgiven
(vidmm.text_lines.match). Scores of at least ``TEXT_MATCH`` count: the clip's score, and the score of every
shot the matching line is on, gain ``TEXT_WEIGHT`` times it. Visual scores are cosines of a few tenths
apart, so a clip that shows the words asked for ranks above clips that only look like them.
"""

from __future__ import annotations

import re

import numpy as np

from ..text_lines import SIMILAR, match
from .phrasing import STOPWORDS

#: A text score counts from here (a query read with a letter or two wrong still counts).
TEXT_MATCH = SIMILAR
#: How much a full text match adds to a clip's (and its shots') visual score.
TEXT_WEIGHT = 1.0


def clip_text(extractor, path: str, model) -> list[list]:
    """[start, end, text] of the distinct lines ``path`` shows, read on the frames the index samples anyway
    (``shown_text.lines(glance=True)``): what the index keeps."""
    from .shown_text import lines

    return [[round(x.start, 3), round(x.end, 3), x.text] for x in lines(extractor, path, model, glance=True)]


def text_score(query: str, text: list[list]) -> tuple[float, list | None]:
    """(score 0-1, the best matching line) of ``query`` against a clip's lines (see the module doc)."""
    if not text:
        return 0.0, None
    scored = [(match(query, t[2]), t) for t in text]
    best, line = max(scored, key=lambda p: p[0])
    words = [w for w in re.findall(r"\w+", query.lower()) if len(w) >= 3 and w not in STOPWORDS]
    if len(words) > 1:
        per_word = [max(((match(w, t[2]), t) for t in text), key=lambda p: p[0]) for w in words]
        cover = float(np.mean([s for s, _ in per_word]))
        if cover > best:
            best, line = cover, max(per_word, key=lambda p: p[0])[1]
    return best, line


def text_bonus(query: str, index) -> tuple[np.ndarray, np.ndarray, dict[int, list]]:
    """What the on-screen text adds to each clip's and each shot's score, and the matching line per clip."""
    clip_add = np.zeros(len(index.clips))
    shot_add = np.zeros(len(index.shot_clip))
    lines: dict[int, list] = {}
    for ci, clip in enumerate(index.clips):
        score, line = text_score(query, getattr(clip, "text", None) or [])
        if score < TEXT_MATCH or line is None:
            continue
        clip_add[ci] = TEXT_WEIGHT * score
        lines[ci] = line
        a, b = float(line[0]), float(line[1])
        on = (index.shot_clip == ci) & (index.shot_start < max(b, a + 1e-6)) & (index.shot_end >= a)
        shot_add[on] = TEXT_WEIGHT * score
    return clip_add, shot_add, lines
