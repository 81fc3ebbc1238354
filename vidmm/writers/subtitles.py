"""Timed text as SubRip (.srt) and WebVTT (.vtt): any task's (start, end, text) cues, not only speech.

Scene labels, emotion timelines and transcripts all become subtitle tracks a video player can show
next to the picture. The writers make the files players accept: cues sorted, each lasting at least a
millisecond, no blank line inside a cue (it would end the cue early), ``-->`` and (for WebVTT) ``<``,
``&`` escaped, long text wrapped to two lines. Widths are display columns: a Chinese or Japanese
character counts two, and text written without spaces is broken between characters.

Timed words become cues the way whisper's own subtitle writer makes them (``split_long_cue``): words fill
lines of ``LINE_WIDTH`` columns, a cue holds ``MAX_LINES`` lines, and a cue also ends at a pause longer
than ``LONG_PAUSE_S`` (whisper's 3 s), before it would last longer than ``MAX_CUE_S``, and after a
sentence once it holds a third of its room.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from ..timecode import Timecode

#: A cue line longer than this is hard to read on screen (the BBC and Netflix guidelines say 37-42).
LINE_WIDTH = 42
MAX_LINES = 2
#: A cue on screen longer than this is cut at a word (Netflix: at most 7 s).
MAX_CUE_S = 7.0
#: A pause longer than this between two words starts a new cue (whisper's writer: 3 s).
LONG_PAUSE_S = 3.0

Cue = tuple[float, float, str]


def text_width(text: str) -> int:
    """Display columns: two for a wide (CJK) character, one for others."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in "WF" for c in text)


def _fill(part: str, width: int) -> list[str]:
    """Greedy lines of at most ``width`` columns; a run of wide characters too long for a line is broken
    between characters (such text has no spaces to break at); other long words stay whole."""
    pieces: list[tuple[str, bool]] = []  # (text, a space before it)
    for i, w in enumerate(part.split()):
        if text_width(w) > width and _is_wide(w):
            pieces += [(c, i > 0 and k == 0) for k, c in enumerate(w)]
        else:
            pieces.append((w, i > 0))
    lines: list[str] = []
    cur = ""
    for text, space in pieces:
        cand = cur + (" " if space and cur else "") + text
        if cur and text_width(cand) > width:
            lines.append(cur)
            cur = text
        else:
            cur = cand
    return [*lines, cur] if cur else lines


def wrap(text: str, width: int = LINE_WIDTH, max_lines: int = MAX_LINES) -> list[str]:
    """Text on at most ``max_lines`` lines of about ``width`` columns (the last line takes the rest). A
    line break in ``text`` starts a new line (emotion: the label, then what was said), each part wrapped so."""
    out: list[str] = []
    for part in str(text).split("\n"):
        if not part.strip():
            continue
        lines = _fill(part, width)
        if len(lines) > max_lines:
            rest = lines[max_lines - 1:]
            lines = lines[: max_lines - 1] + [("" if _is_wide(rest[0][-1:]) else " ").join(rest)]
        out += lines
    return out


def clean_cues(cues: Iterable[Cue]) -> list[Cue]:
    """Sorted cues with text, each ending after it starts; empty ones and blank lines are dropped."""
    out = []
    for start, end, text in sorted(cues, key=lambda c: (float(c[0]), float(c[1]))):
        start = max(float(start), 0.0)
        end = max(float(end), start + 0.001)
        text = "\n".join(" ".join(line.split()) for line in str(text).split("\n") if line.strip())
        if text:
            out.append((start, end, text))
    return out


def _safe(text: str) -> str:
    return text.replace("-->", "->")


def to_srt(cues: Iterable[Cue], width: int = LINE_WIDTH, max_lines: int = MAX_LINES) -> str:
    """SubRip text: numbered blocks ``1`` / ``00:00:01,000 --> 00:00:02,500`` / text, separated by blank lines."""
    blocks = []
    for i, (start, end, text) in enumerate(clean_cues(cues), start=1):
        body = "\n".join(wrap(_safe(text), width, max_lines))
        blocks.append(f"{i}\n{Timecode(start).srt()} --> {Timecode(end).srt()}\n{body}\n")
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    return _safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Iterable[Cue], width: int = LINE_WIDTH, max_lines: int = MAX_LINES,
           header_note: str | None = None) -> str:
    """WebVTT text: the ``WEBVTT`` header, then ``00:00:01.000 --> 00:00:02.500`` / text blocks."""
    parts = ["WEBVTT\n"]
    if header_note:
        parts.append("NOTE " + " ".join(_safe(header_note).split()) + "\n")
    for start, end, text in clean_cues(cues):
        body = "\n".join(wrap(_vtt_escape(text), width, max_lines))
        parts.append(f"{Timecode(start).vtt()} --> {Timecode(end).vtt()}\n{body}\n")
    return "\n".join(parts)


def split_long_cue(words: Sequence[tuple[float, float, str]], max_chars: int = LINE_WIDTH * MAX_LINES,
                   max_seconds: float = MAX_CUE_S, joiner: str = " ", max_pause: float = LONG_PAUSE_S,
                   width: int | None = None) -> list[Cue]:
    """Cues from (start, end, word) timings, as whisper's writer makes them (see the module doc): lines of
    ``width`` columns (default ``max_chars // MAX_LINES``), ``MAX_LINES`` lines and ``max_chars`` columns
    a cue, a new cue at a pause over ``max_pause`` s or before ``max_seconds`` s. ``joiner``: what goes
    between words ("" when each word carries the space before it, as Whisper's words do)."""
    width = width or max(1, max_chars // MAX_LINES)
    cues: list[Cue] = []
    cur: list[tuple[float, float, str]] = []

    def flush() -> None:
        if cur:
            cues.append((cur[0][0], cur[-1][1], joiner.join(x[2] for x in cur).strip()))
            cur.clear()

    for w in words:
        if cur:
            text = joiner.join(x[2] for x in [*cur, w]).strip()
            so_far = joiner.join(x[2] for x in cur).strip()
            sentence_end = cur[-1][2].endswith((".", "?", "!", "。", "？", "！")) and \
                text_width(so_far) >= max_chars // 3
            if (text_width(text) > max_chars or len(_fill(text, width)) > MAX_LINES or w[1] - cur[0][0] > max_seconds
                    or w[0] - cur[-1][1] > max_pause or sentence_end):
                flush()
        cur.append(w)
    flush()
    return cues


def split_by_length(start: float, end: float, text: str, max_chars: int = LINE_WIDTH * MAX_LINES) -> list[Cue]:
    """Cut a long cue without word timings into pieces of at most ``max_chars`` columns (at words, or
    between characters in text without spaces), sharing its time in proportion to length."""
    chunks = _fill(text, max_chars)
    total = sum(text_width(c) for c in chunks) or 1
    cues, t = [], float(start)
    for piece in chunks:
        dt = (float(end) - float(start)) * text_width(piece) / total
        cues.append((t, t + dt, piece))
        t += dt
    return cues
