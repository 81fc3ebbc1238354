"""On-screen text as evidence for the other tasks: caption quotes it, ask answers from it, search matches it,
report shows it.

All of them read the same deduplicated lines ``vidmm ocr`` gives (vidmm.tasks.ocr.timeline over the cached
text channel), so a file is read once whichever task asks first. The OCR model is optional for every task
but ``ocr`` itself: without it (``Needs.optional``) these helpers see no text.

``prominent(lines)`` picks what a person would call *the* text of a shot: the lines set in the largest type
(type size at least ``PROMINENT`` of the largest line's: a box's height, or its width for a line set
vertically), read surely (score at least ``QUOTE_SCORE``: a caption never quotes a misreading it could
avoid) and with enough letters to say something (a line of numbers alone or a single letter is not
quoted; nor a line of Latin letters set sideways), in reading order.
"""

from __future__ import annotations

from ..text_lines import norm
from .ocr import TextLine, timeline

#: A line is prominent when its box is at least this share as tall as the tallest meaningful line's.
PROMINENT = 0.7
#: Lines read less surely than this are not quoted.
QUOTE_SCORE = 0.9
#: Lines and words quoted at most.
QUOTE_LINES, QUOTE_WORDS = 3, 10


def load_model(needs):
    """The OCR model through ``needs.optional`` (None, with the reason noted, when it is not installed)."""
    from ..models.ocr import load_ocr

    return needs.optional("ocr", load_ocr)


def lines(extractor, path: str, model, glance: bool = False) -> list[TextLine]:
    """The distinct lines of text shown in ``path`` (in the extractor's window), [] without a model or
    pictures. ``glance``: from the frames the task samples anyway (vidmm.channels_text.glance: the text
    a viewer would call prominent, cheaply) instead of the dense reading ``vidmm ocr`` makes."""
    if model is None or not extractor.probe(path).has_video:
        return []
    info = extractor.probe(path)
    until = (extractor.span(path) or (0.0, float(info.duration or 0.0)))[1]
    if glance:
        from ..channels_text import glance as read

        return timeline(read(extractor, path, model), until, model.min_score)
    return timeline(extractor.text(path, model), until, model.min_score)


def in_span(shown: list[TextLine], a: float, b: float) -> list[TextLine]:
    """The lines on screen at some moment of [a, b) (a photo's lines, at 0-0, are in every span from 0)."""
    return [x for x in shown if x.start < max(b, a + 1e-6) and x.end >= a]


def meaningful(line: TextLine) -> bool:
    """Enough letters to say something: two Latin letters, or one CJK character and more than one sign."""
    letters = [c for c in line.text if c.isalpha()]
    cjk = any(ord(c) >= 0x2E80 for c in letters)
    return len(letters) >= 2 or (cjk and len(norm(line.text)) >= 1 and len(line.text) > 1)


def type_size(line: TextLine) -> float:
    """The height of a line's letters as a share of the frame: its box's height, or its width when the
    box stands upright (a line set vertically, read turned)."""
    _, _, w, h = line.box
    return w if h > 1.5 * w else h


def _sideways_latin(line: TextLine) -> bool:
    """A line of Latin letters set vertically (a note printed up a receipt's edge): never the text of a shot."""
    _, _, w, h = line.box
    return h > 1.5 * w and not any(ord(c) >= 0x2E80 for c in line.text)


def prominent(shown: list[TextLine], limit: int = QUOTE_LINES) -> list[TextLine]:
    """The lines in the largest type (see the module doc), at most ``limit``, in reading order."""
    cands = [x for x in shown if meaningful(x) and x.score >= QUOTE_SCORE and not _sideways_latin(x)]
    if not cands:
        return []
    largest = max(type_size(x) for x in cands)
    big = [x for x in cands if type_size(x) >= PROMINENT * largest]
    keep = sorted(big, key=lambda x: (-type_size(x) * x.frames ** 0.5 * x.score))[:limit]
    return sorted(keep, key=lambda x: x.order)


def quote(shown: list[TextLine], max_words: int = QUOTE_WORDS) -> str:
    """The lines' text as one quotation: joined by spaces, cut after ``max_words`` words with "...";
    quote marks inside become typographic ones so the quotation stays one."""
    words = " ".join(x.text for x in shown).replace("'", "’").split()
    return " ".join(words[:max_words]) + ("..." if len(words) > max_words else "")


def clause(shown: list[TextLine]) -> str:
    """"with text reading '...'" for the prominent lines of ``shown``, "" when none is worth quoting."""
    top = prominent(shown)
    return f"with text reading '{quote(top)}'" if top else ""
