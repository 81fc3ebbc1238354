"""Timed text as SubRip (.srt) and WebVTT (.vtt): any task's (start, end, text) cues, not only speech.

Scene labels, emotion timelines and transcripts all become subtitle tracks a video player can show
next to the picture. The writers make the files players accept: cues sorted, each lasting at least a
millisecond, no blank line inside a cue (it would end the cue early), ``-->`` and (for WebVTT) ``<``,
``&`` escaped, long text wrapped to two lines.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from ..timecode import Timecode

#: A cue line longer than this is hard to read on screen (the BBC and Netflix guidelines say 37-42).
LINE_WIDTH = 42
MAX_LINES = 2

Cue = tuple[float, float, str]


def wrap(text: str, width: int = LINE_WIDTH, max_lines: int = MAX_LINES) -> list[str]:
    """Text on at most ``max_lines`` lines of about ``width`` characters (the last line takes the rest). A
    line break in ``text`` starts a new line (emotion: the label, then what was said), each part wrapped so."""
    out: list[str] = []
    for part in str(text).split("\n"):
        words = " ".join(part.split())
        if not words:
            continue
        lines = textwrap.wrap(words, width=width, break_long_words=False, break_on_hyphens=False)
        if len(lines) > max_lines:
            lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1:])]
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
                   max_seconds: float = 7.0) -> list[Cue]:
    """Cut one long cue into readable ones at word boundaries, from (start, end, word) timings."""
    cues: list[Cue] = []
    cur: list[tuple[float, float, str]] = []
    for w in words:
        text = " ".join(x[2] for x in [*cur, w])
        so_far = " ".join(x[2] for x in cur)
        sentence_end = bool(cur) and cur[-1][2].endswith((".", "?", "!")) and len(so_far) >= max_chars // 3
        if cur and (len(text) > max_chars or w[1] - cur[0][0] > max_seconds or sentence_end):
            cues.append((cur[0][0], cur[-1][1], " ".join(x[2] for x in cur)))
            cur = []
        cur.append(w)
    if cur:
        cues.append((cur[0][0], cur[-1][1], " ".join(x[2] for x in cur)))
    return cues


def split_by_length(start: float, end: float, text: str, max_chars: int = LINE_WIDTH * MAX_LINES) -> list[Cue]:
    """Cut a long cue without word timings at word boundaries, sharing its time in proportion to length."""
    words = text.split()
    chunks: list[list[str]] = [[]]
    for w in words:
        if chunks[-1] and len(" ".join([*chunks[-1], w])) > max_chars:
            chunks.append([])
        chunks[-1].append(w)
    total = sum(len(" ".join(c)) for c in chunks) or 1
    cues, t = [], float(start)
    for c in chunks:
        piece = " ".join(c)
        dt = (float(end) - float(start)) * len(piece) / total
        cues.append((t, t + dt, piece))
        t += dt
    return cues
